package io.bootcache.sim.storm;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.ClientStats;
import io.bootcache.client.Recorder;
import io.bootcache.client.Target;
import io.bootcache.node.BootCacheNode;
import io.bootcache.node.ClusterUsage;
import io.bootcache.node.NodeMetrics;
import io.bootcache.sim.backend.ThrottledStorage;
import io.bootcache.nbd.client.NbdAddress;
import io.bootcache.nbd.client.NbdConnection;
import io.bootcache.sim.workload.BootScript;
import io.bootcache.v1.Stats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Through bootcache: each simulated host has its own node. A VM boots through its host node's own
 * NBD server, as QEMU does (each connection a boot session, recorded by the node); or, with
 * {@code viaNbd} false, through the host's own client over gRPC, as a storage driver does (a boot
 * session whose reads are fetched through the cluster and recorded). The nodes read the backend
 * under their own rate limit and latency; a client that has to fall back reads through
 * {@code fallback}, the same throttle, and those reads count as backend reads too.
 */
public final class CachedMode implements StormMode {
  private final String name;
  private final List<BootCacheClient> hostClients = new ArrayList<>();
  private final List<BootCacheClient> nodeClients = new ArrayList<>();
  private final List<String> imageIds;
  private final ThrottledStorage fallback;
  private final boolean record;
  private final List<BootCacheNode> localNodes;
  private final boolean viaNbd;

  /**
   * @param nodes the cluster's gRPC addresses; host h talks to node h mod nodes
   * @param imageIds the cluster's id of each image of the workload
   * @param files the backend file of each image id, for the clients' fallback
   * @param record whether reads are also sent to the recorder (as a shim does); false only to
   *     measure what recording costs
   * @param localNodes the nodes when they run in this JVM: their counters are read directly, all
   *     within microseconds, rather than over gRPC one node after the other
   */
  public CachedMode(String name, List<String> nodes, int hosts, List<String> imageIds, Map<String, Path> files,
      ThrottledStorage fallback, boolean record, List<BootCacheNode> localNodes, boolean viaNbd) {
    if (viaNbd && localNodes.isEmpty()) throw new IllegalArgumentException("booting through NBD needs in-process nodes");
    this.name = name;
    this.viaNbd = viaNbd;
    this.record = record;
    this.localNodes = List.copyOf(localNodes);
    this.imageIds = List.copyOf(imageIds);
    this.fallback = fallback;
    for (int h = 0; h < hosts; h++) {
      hostClients.add(BootCacheClient.builder()
          .node(nodes.get(h % nodes.size()))
          .deadline(Duration.ofSeconds(10))
          .backend(new ThrottledFallback(fallback, files))
          .build());
    }
    if (localNodes.isEmpty()) {
      for (String n : nodes) nodeClients.add(BootCacheClient.builder().node(n).retries(0).build());
    }
  }

  /**
   * This mode under another name, booting other image ids (same images registered again, for a
   * cold boot of one VM alone), on the same clients.
   */
  public StormMode view(String newName, List<String> otherImageIds) {
    CachedMode self = this;
    return new StormMode() {
      @Override
      public String name() { return newName; }
      @Override
      public VmIo open(BootScript script, int vm, int host) { return self.open(otherImageIds, script, vm, host); }
      @Override
      public BackendCounters counters() { return self.counters(); }
    };
  }

  /** The client of host {@code h}, to register images and the like. */
  public BootCacheClient client(int host) {
    return hostClients.get(host);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public VmIo open(BootScript script, int vm, int host) {
    return open(imageIds, script, vm, host);
  }

  private VmIo open(List<String> ids, BootScript script, int vm, int host) {
    if (viaNbd) return openNbd(ids.get(script.image()), host);
    BootCacheClient client = hostClients.get(host % hostClients.size());
    Target target = Target.image(ids.get(script.image()));
    Recorder rec = client.startBoot(target, "host" + host + "/vm" + vm);
    String session = rec.sessionId();
    return new VmIo() {
      @Override
      public CompletableFuture<ByteBuffer> read(long offset, int length) {
        if (record) rec.read(offset, length);
        return client.read(target, offset, length, session);
      }

      @Override
      public void close() {
        rec.close();
      }
    };
  }

  /** A VM on {@code host} attaches its image over NBD, from its host node: one connection, one boot. */
  private VmIo openNbd(String imageId, int host) {
    BootCacheNode node = localNodes.get(host % localNodes.size());
    NbdConnection nbd;
    try {
      nbd = NbdConnection.open(new NbdAddress("127.0.0.1", node.nbdPort(), null, imageId), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot attach " + imageId + " over NBD from node " + node.nodeName(), e);
    }
    return new VmIo() {
      @Override
      public CompletableFuture<ByteBuffer> read(long offset, int length) {
        return nbd.read(offset, length);
      }

      @Override
      public void close() {
        try {
          nbd.close();
        } catch (IOException ignored) {
          // every read was answered: the boot is over either way
        }
      }
    };
  }

  /** The nodes' counters summed, plus the clients' own fallback reads; cluster-wide memory from the first node. */
  @Override
  public BackendCounters counters() {
    long reads = fallback.reads();
    long bytes = fallback.bytes();
    long hits = 0;
    long misses = 0;
    long region;
    long cached;
    if (!localNodes.isEmpty()) {
      for (BootCacheNode n : localNodes) {
        NodeMetrics m = n.services().metrics();
        reads += m.backendReads.getCount();
        bytes += m.backendBytes.getCount();
        hits += m.blockHits.getCount();
        misses += m.blockMisses.getCount();
      }
      ClusterUsage usage = ClusterUsage.of(localNodes.get(0).ignite());
      region = usage.regionUsedBytes();
      cached = usage.cachedBytes();
    } else {
      region = 0;
      cached = 0;
      boolean first = true;
      for (BootCacheClient c : nodeClients) {
        Stats s = c.stats();
        reads += s.getBackendReads();
        bytes += s.getBackendBytes();
        hits += s.getBlockHits();
        misses += s.getBlockMisses();
        if (first) {
          region = s.getRegionUsedBytes();
          cached = s.getCachedBytes();
          first = false;
        }
      }
    }
    return new BackendCounters(reads, bytes, hits, misses, region, cached);
  }

  /** What the hosts' clients did: fallbacks, verify failures, retries. */
  public Map<String, Long> clientCounters() {
    long fallbacks = 0;
    long verifyFailures = 0;
    long retries = 0;
    long errors = 0;
    for (BootCacheClient c : hostClients) {
      ClientStats s = c.clientStats();
      fallbacks += s.fallbackReads();
      verifyFailures += s.verifyFailures();
      retries += s.retries();
      errors += s.errors();
    }
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("client_fallback_reads", fallbacks);
    m.put("client_fallback_backend_reads", fallback.reads());
    m.put("client_verify_failures", verifyFailures);
    m.put("client_retries", retries);
    m.put("client_errors", errors);
    return m;
  }

  @Override
  public void close() {
    for (BootCacheClient c : hostClients) c.close();
    for (BootCacheClient c : nodeClients) c.close();
  }
}
