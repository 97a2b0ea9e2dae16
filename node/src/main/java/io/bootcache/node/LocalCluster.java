package io.bootcache.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;

/**
 * Several real nodes in this JVM forming one cluster on 127.0.0.1: for the simulator's default
 * cluster and for tests. Each cluster takes a random free port range for Ignite, so clusters
 * started at the same time (parallel test runs) never join each other; gRPC and admin ports are
 * picked free.
 */
public final class LocalCluster implements AutoCloseable {
  private final List<BootCacheNode> nodes;
  private final List<NodeConfig> configs;

  private LocalCluster(List<BootCacheNode> nodes, List<NodeConfig> configs) {
    this.nodes = nodes;
    this.configs = configs;
  }

  /** Starts node i again on its data (after it was closed), as its supervisor would. */
  public BootCacheNode restart(int i) {
    nodes.get(i).close();
    BootCacheNode n = BootCacheNode.start(configs.get(i));
    nodes.set(i, n);
    return n;
  }

  public static Builder builder() {
    return new Builder();
  }

  public List<BootCacheNode> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  public BootCacheNode node(int i) {
    return nodes.get(i);
  }

  public List<String> grpcAddresses() {
    List<String> out = new ArrayList<>();
    for (BootCacheNode n : nodes) out.add(n.grpcAddress());
    return out;
  }

  @Override
  public void close() {
    for (int i = nodes.size() - 1; i >= 0; i--) nodes.get(i).close();
    nodes.clear();
  }

  public static final class Builder {
    private int nodes = 1;
    private Path dataDir;
    private UnaryOperator<NodeConfig.Builder> configure = b -> b;
    private boolean nbd;
    private long diskCacheBytes;

    private Builder() {}

    public Builder nodes(int n) {
      if (n < 1) throw new IllegalArgumentException("a cluster has at least one node, got " + n);
      nodes = n;
      return this;
    }

    /** Each node keeps its data under dataDir/node-i. */
    public Builder dataDir(Path dir) {
      dataDir = dir;
      return this;
    }

    /** Every node serves NBD: on a free TCP port of 127.0.0.1, and on nbd.sock in its data directory. */
    public Builder nbd() {
      nbd = true;
      return this;
    }

    /**
     * Every node keeps a disk tier of this size, and the durable region, under disk-cache in its data
     * directory. The nodes then start at once: a restarted cluster waits for all of them to activate.
     */
    public Builder diskCache(long bytes) {
      diskCacheBytes = bytes;
      return this;
    }

    /** Settings every node gets (regions, backups, backend limits, boot window...). */
    public Builder configure(UnaryOperator<NodeConfig.Builder> settings) {
      configure = settings;
      return this;
    }

    public LocalCluster start() {
      List<NodeConfig> configs = configs();
      List<CompletableFuture<BootCacheNode>> starting = new ArrayList<>();
      for (NodeConfig c : configs) {
        if (diskCacheBytes > 0) {
          starting.add(CompletableFuture.supplyAsync(() -> BootCacheNode.start(c)));
          continue;
        }
        try {
          starting.add(CompletableFuture.completedFuture(BootCacheNode.start(c)));
        } catch (RuntimeException e) {
          starting.add(CompletableFuture.failedFuture(new CompletionException(e)));
          break;
        }
      }
      List<BootCacheNode> started = new ArrayList<>();
      RuntimeException failure = null;
      for (CompletableFuture<BootCacheNode> f : starting) {
        try {
          started.add(f.join());
        } catch (CompletionException e) {
          failure = e.getCause() instanceof RuntimeException re ? re : e;
        }
      }
      if (failure != null) {
        for (BootCacheNode n : started) n.close();
        throw failure;
      }
      return new LocalCluster(started, configs);
    }

    /** The nodes' settings, as {@link #start()} starts them (for a test that starts them itself). */
    public List<NodeConfig> configs() {
      if (dataDir == null) throw new IllegalStateException("LocalCluster needs a dataDir");
      int range = nodes + 2;
      int base = Ports.freeRange(2 * range);
      List<NodeConfig> configs = new ArrayList<>();
      for (int i = 0; i < nodes; i++) {
        NodeConfig.Builder b = NodeConfig.builder()
            .blocksRegionBytes(64 * NodeConfig.MIB)
            .metaRegionBytes(48 * NodeConfig.MIB)
            .hostTierBytes(32 * NodeConfig.MIB) // several nodes share one JVM's direct memory
            .bindHost("127.0.0.1")
            .grpcPort(0)
            .adminPort(0)
            .discoveryPort(base)
            .discoveryPortRange(range)
            .communicationPort(base + range);
        Path nodeDir = dataDir.resolve("node-" + i);
        if (diskCacheBytes > 0) {
          b.diskCacheDir(nodeDir.resolve("disk-cache")).diskCacheBytes(diskCacheBytes).initialNodes(nodes);
        }
        b = configure.apply(b)
            // stable per data directory, so that a cluster restarted on its data finds itself again
            .nodeName("local-" + Integer.toHexString(dataDir.toAbsolutePath().hashCode()) + "-" + i)
            .dataDir(nodeDir);
        if (nbd) b.nbd("127.0.0.1", 0).nbdSocket(nodeDir.resolve("nbd.sock"));
        configs.add(b.build());
      }
      return configs;
    }
  }
}
