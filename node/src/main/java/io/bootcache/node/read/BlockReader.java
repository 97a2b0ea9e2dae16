package io.bootcache.node.read;

import io.bootcache.node.ApiError;
import io.bootcache.node.ClusterNotReady;
import io.bootcache.node.NodeMetrics;
import io.bootcache.node.backend.Backend;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.BlockRef;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.LayerBlock;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.Image;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cluster.ClusterNode;

/**
 * Reads ranges of images and disks on the node a reader asked (see package-info for the path). A
 * read that this host's tier holds entirely is answered on the caller's thread, with no Ignite call.
 * Any other joins the next batch: everything that arrives while a batch is being resolved forms the
 * next one, resolved on a worker with one cluster look-up per image for the whole batch.
 */
public final class BlockReader {
  /** Batches resolved at once. */
  private static final int MAX_BATCHES = 2;
  private static final long REMOTE_LOAD_TIMEOUT_MS = 60_000;

  private final Ignite ignite;
  private final HostTier host;
  private final DiskTier disk; // null: none
  private final ClusterBlocks cluster;
  private final BlockMaps maps;
  private final BlockStore store;
  private final Loader loader;
  private final Backend backend;
  private final NodeMetrics metrics;
  private final Executor resolvers;
  private final ConcurrentLinkedQueue<Read> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger batches = new AtomicInteger();

  public BlockReader(Ignite ignite, HostTier host, DiskTier disk, ClusterBlocks cluster, BlockMaps maps, BlockStore store, Loader loader,
      Backend backend, NodeMetrics metrics, Executor resolvers) {
    this.ignite = ignite;
    this.host = host;
    this.disk = disk;
    this.cluster = cluster;
    this.maps = maps;
    this.store = store;
    this.loader = loader;
    this.backend = backend;
    this.metrics = metrics;
    this.resolvers = resolvers;
  }

  /** One request while its batch resolves it: its blocks, null until found. */
  private static final class Read {
    final ReadRequest req;
    final long first;
    final Block[] blocks;
    final CompletableFuture<ReadResult> done = new CompletableFuture<>();
    HostTier.Lease lease;
    int hits;
    int misses;
    int loading;

    Read(ReadRequest req) {
      this.req = req;
      this.first = req.firstBlock();
      this.blocks = new Block[req.blockCount()];
    }

    String imageId() {
      return req.image().getId();
    }

    void finish(NodeMetrics metrics) {
      for (Block b : blocks) if (b == null) throw new IllegalStateException("a block of the read was never resolved");
      metrics.hits(imageId(), hits);
      served(metrics, req);
      done.complete(new ReadResult(blocks, hits, misses, lease));
    }

    void fail(Throwable t) {
      if (lease != null) lease.release();
      done.completeExceptionally(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t);
    }
  }

  /**
   * The read answered from this host alone, or null: an image read whose every block the host tier
   * holds. Never blocks, so it may run on a network thread.
   */
  public ReadResult readLocal(ReadRequest r) {
    if (r.disk() != null) return null;
    int n = r.blockCount();
    HostTier.Lease lease = host.lookUp(r.image().getId(), r.firstBlock(), n);
    if (lease == null) return null;
    metrics.hits(r.image().getId(), n);
    served(metrics, r);
    return new ReadResult(lease.blocks(), n, 0, lease);
  }

  /** Reads the range: this host's tier, the disk's layer, the cluster, and (once for the cluster) the backend. */
  public CompletableFuture<ReadResult> read(ReadRequest r) {
    ReadResult local = readLocal(r);
    if (local != null) return CompletableFuture.completedFuture(local);
    Read read = new Read(r);
    queue.add(read);
    startBatch();
    return read.done;
  }

  private void startBatch() {
    for (int n = batches.get(); n < MAX_BATCHES && !queue.isEmpty(); n = batches.get()) {
      if (batches.compareAndSet(n, n + 1)) {
        resolvers.execute(this::resolveBatches);
        return;
      }
    }
  }

  private void resolveBatches() {
    try {
      for (List<Read> batch = takeAll(); !batch.isEmpty(); batch = takeAll()) resolve(batch);
    } finally {
      batches.decrementAndGet();
      startBatch(); // a read may have arrived after our last look
    }
  }

  private List<Read> takeAll() {
    List<Read> batch = new ArrayList<>();
    for (Read r; (r = queue.poll()) != null; ) batch.add(r);
    return batch;
  }

  private void resolve(List<Read> batch) {
    try {
      ClusterNotReady.requireActive(ignite); // an inactive cluster would hold every look-up until it is active
    } catch (RuntimeException e) {
      for (Read r : batch) r.fail(e);
      return;
    }
    List<Read> open = new ArrayList<>();
    for (Read r : batch) {
      try {
        if (r.req.disk() != null && !readDisk(r)) continue;
        holdFromHost(r);
        holdFromDisk(r);
        open.add(r);
      } catch (RuntimeException e) {
        r.fail(e);
      }
    }
    try {
      findInCluster(open);
      loadMisses(open);
    } catch (RuntimeException e) {
      for (Read r : open) r.fail(e);
    }
  }

  // ---------------------------------------------------------------- disks

  /** The disk's own blocks; false when the read is answered already (a stale disk). */
  private boolean readDisk(Read r) {
    Disk disk = r.req.disk();
    if (disk.getState() == DiskState.STALE) {
      readStale(r);
      return false;
    }
    Map<Long, LayerBlock> written;
    try {
      written = maps.diskBlocks(Catalog.diskLayer(disk), r.first, r.blocks.length);
    } catch (RuntimeException e) {
      if (!maps.diskLayersLost()) throw e;
      readLost(r);
      return false;
    }
    Map<Long, BlockHash> byHash = new HashMap<>();
    for (Map.Entry<Long, LayerBlock> e : written.entrySet()) {
      int k = (int) (e.getKey() - r.first);
      LayerBlock layer = e.getValue();
      // a linked clone's layer keeps its written bytes: no file of the cluster's holds them
      if (layer.data() != null) r.blocks[k] = new Block(e.getKey(), layer.hash(), ByteBuffer.wrap(layer.data()));
      else byHash.put(e.getKey(), layer.hash());
    }
    Map<BlockHash, byte[]> bytes = store.getAll(new HashSet<>(byHash.values()));
    int bs = r.req.image().getBlockSize();
    for (Map.Entry<Long, BlockHash> e : byHash.entrySet()) {
      int k = (int) (e.getKey() - r.first);
      byte[] b = bytes.get(e.getValue());
      if (b == null) { // a full clone's written block, evicted from the cluster: its own file has it
        long start = e.getKey() * bs;
        b = readBackend(disk, start, (int) Math.min(bs, disk.getSize() - start));
        r.misses++;
      } else {
        r.hits++;
      }
      r.blocks[k] = new Block(e.getKey(), e.getValue(), ByteBuffer.wrap(b));
    }
    return true;
  }

  /**
   * A stale disk's layer may lack writes: a full clone is read from its own file, uncached; a linked
   * clone has no file, and its image would show other bytes than its own, so it is refused.
   */
  private void readStale(Read r) {
    Disk disk = r.req.disk();
    if (disk.getMode() != CloneMode.FULL) {
      throw ApiError.failedPrecondition("linked clone " + disk.getId() + " is stale (" + disk.getStaleReason()
          + "): its layer, the only record of its writes, may lack some, so it is not served; `bootcache disk resync "
          + disk.getId() + " --from FILE` rebuilds it from the VM's disk, `bootcache disk reset " + disk.getId()
          + "` discards its writes");
    }
    readOwnFile(r);
  }

  /**
   * The disk's layer is in partitions lost with the nodes that held them: as stale, for this read,
   * until the partitions come back or the disks that had writes there are marked stale.
   */
  private void readLost(Read r) {
    Disk disk = r.req.disk();
    if (disk.getMode() != CloneMode.FULL) {
      throw ApiError.unavailable("linked clone " + disk.getId() + ": part of the cluster's disk layers was lost with "
          + "the nodes that held it, and its layer is the only record of its writes; it is served again once the "
          + "partitions are back, or it is marked stale if they cannot come back");
    }
    readOwnFile(r);
  }

  /** A full clone's blocks from its own file, which holds every write; uncached. */
  private void readOwnFile(Read r) {
    Disk disk = r.req.disk();
    int bs = r.req.image().getBlockSize();
    long start = r.first * bs;
    int length = (int) Math.min((long) r.blocks.length * bs, disk.getSize() - start);
    byte[] bytes = readBackend(disk, start, length);
    for (int k = 0; k < r.blocks.length; k++) {
      int from = k * bs;
      r.blocks[k] = Block.hashed(r.first + k, ByteBuffer.wrap(bytes, from, Math.min(bs, length - from)).slice());
    }
    r.misses = r.blocks.length;
    r.finish(metrics);
  }

  // ---------------------------------------------------------------- image blocks

  /** Whatever of the read this host's tier holds, pinned for the read. */
  private void holdFromHost(Read r) {
    if (!hasHoles(r)) return;
    r.lease = host.lookUpEach(r.imageId(), r.first, r.blocks.length);
    Block[] held = r.lease.blocks();
    for (int k = 0; k < held.length; k++) {
      if (r.blocks[k] == null && held[k] != null) {
        r.blocks[k] = held[k];
        r.hits++;
      }
    }
  }

  /** Whatever of the read this host's disk tier keeps: read from local disk, and held in memory again. */
  private void holdFromDisk(Read r) {
    if (disk == null || !hasHoles(r)) return;
    Image image = r.req.image();
    String key = DiskTier.keyOf(image.getId(), image.getRegisteredAtMs());
    for (int k = 0; k < r.blocks.length; k++) {
      if (r.blocks[k] != null) continue;
      Block b = disk.lookUp(key, r.first + k);
      if (b == null) continue;
      r.blocks[k] = b;
      r.hits++;
      if (r.req.admits()) holdInMemory(r.req, b);
    }
  }

  /** The cluster's copies of what is still missing: one look-up per image for the whole batch. */
  private void findInCluster(List<Read> reads) {
    Map<String, TreeSet<Long>> wanted = new LinkedHashMap<>();
    for (Read r : reads) {
      for (int k = 0; k < r.blocks.length; k++) {
        if (r.blocks[k] == null) wanted.computeIfAbsent(r.imageId(), i -> new TreeSet<>()).add(r.first + k);
      }
    }
    for (Map.Entry<String, TreeSet<Long>> e : wanted.entrySet()) {
      long[] indexes = e.getValue().stream().mapToLong(Long::longValue).toArray();
      Block[] found = cluster.find(e.getKey(), indexes);
      Map<Long, Block> byIndex = new HashMap<>();
      for (Block b : found) if (b != null) byIndex.put(b.index(), b);
      for (Read r : reads) {
        if (!r.imageId().equals(e.getKey())) continue;
        for (int k = 0; k < r.blocks.length; k++) {
          Block b = r.blocks[k] == null ? byIndex.get(r.first + k) : null;
          if (b == null) continue;
          r.blocks[k] = b;
          r.hits++;
          if (r.req.admits()) holdOnHost(r.req, b);
        }
      }
    }
  }

  /**
   * The misses, grouped by the node that owns their stripe (a stripe's blocks live on one node): each
   * group is loaded once, by that node, for all reads of the batch that want it.
   */
  private void loadMisses(List<Read> reads) {
    Map<Load, TreeSet<Long>> groups = new LinkedHashMap<>();
    Map<Long, ClusterNode> owners = new HashMap<>();
    Map<Read, Set<Load>> needs = new HashMap<>();
    for (Read r : reads) {
      for (int k = 0; k < r.blocks.length; k++) {
        if (r.blocks[k] != null) continue;
        long index = r.first + k;
        long stripe = index / maps.stripeBlocks();
        ClusterNode owner = owners.computeIfAbsent(stripe, st -> ownerOf(r.imageId(), st));
        Load load = new Load(r.imageId(), owner);
        groups.computeIfAbsent(load, l -> new TreeSet<>()).add(index);
        needs.computeIfAbsent(r, x -> new HashSet<>()).add(load);
      }
      owners.clear(); // stripes are per image
    }
    Map<Load, CompletableFuture<Block[]>> loads = new HashMap<>();
    groups.forEach((load, indexes) -> {
      long[] idx = indexes.stream().mapToLong(Long::longValue).toArray();
      boolean admit = false;
      for (Read r : reads) admit |= r.req.admits() && needs.getOrDefault(r, Set.of()).contains(load);
      metrics.misses(load.imageId(), idx.length);
      loads.put(load, load(load, idx, admit));
    });
    for (Read r : reads) {
      Set<Load> mine = needs.get(r);
      if (mine == null) {
        r.finish(metrics);
        continue;
      }
      r.loading = mine.size();
      for (Load load : mine) loads.get(load).whenComplete((loaded, err) -> arrived(r, loaded, err));
    }
  }

  /** A group's load came back: its blocks fill the read's holes; the read completes with its last group. */
  private void arrived(Read r, Block[] loaded, Throwable err) {
    synchronized (r) {
      if (r.done.isDone()) return;
      if (err != null) {
        r.fail(err);
        return;
      }
      for (Block b : loaded) {
        int k = (int) (b.index() - r.first);
        if (k < 0 || k >= r.blocks.length || r.blocks[k] != null) continue;
        r.blocks[k] = b;
        r.misses++;
        if (r.req.admits()) holdOnHost(r.req, b);
      }
      if (--r.loading == 0) r.finish(metrics);
    }
  }

  /** A group of misses of one image that one node loads. */
  private record Load(String imageId, ClusterNode owner) {}

  private ClusterNode ownerOf(String imageId, long stripe) {
    return ignite.affinity(Caches.BLOCKMAP).mapKeyToNode(BlockRef.stripeKey(Catalog.imageLayer(imageId), stripe));
  }

  /** This node's loader for its own stripes; the owner's, through an Ignite job, for the others. */
  private CompletableFuture<Block[]> load(Load load, long[] indexes, boolean admit) {
    if (load.owner() == null || load.owner().isLocal()) return loader.load(load.imageId(), indexes, admit);
    CompletableFuture<Block[]> out = new CompletableFuture<>();
    ignite.compute(ignite.cluster().forNode(load.owner())).withTimeout(REMOTE_LOAD_TIMEOUT_MS)
        .callAsync(new LoadJob(load.imageId(), indexes, admit)).listen(f -> {
          try {
            out.complete(f.get().blocks());
          } catch (IgniteException ownerFailed) {
            ApiError refused = ApiError.in(ownerFailed);
            if (refused != null) {
              out.completeExceptionally(refused);
              return;
            }
            // the owner left or failed: load here, still once per block on this node
            resolvers.execute(() -> loader.load(load.imageId(), indexes, admit).whenComplete((b, e) -> {
              if (e != null) out.completeExceptionally(e); else out.complete(b);
            }));
          }
        });
    return out;
  }

  /** Keeps a block this host's VMs boot from on this host: in memory, and on local disk. */
  private void holdOnHost(ReadRequest req, Block b) {
    holdInMemory(req, b);
    if (disk != null) disk.offer(DiskTier.keyOf(req.image().getId(), req.image().getRegisteredAtMs()), b);
  }

  private void holdInMemory(ReadRequest req, Block b) {
    Image image = req.image();
    long blocks = (image.getSize() + image.getBlockSize() - 1) / image.getBlockSize();
    host.hold(image.getId(), blocks, image.getBlockSize(), b, req.admission() == ReadRequest.Admission.PREFETCH);
  }

  /** A read of a disk's own file, counted for the disk's image. */
  private byte[] readBackend(Disk disk, long start, int length) {
    long t0 = System.nanoTime();
    byte[] bytes = backend.read(disk.getLocation(), start, length);
    metrics.backendRead(disk.getImageId(), length, System.nanoTime() - t0);
    return bytes;
  }

  /** A read answered to a VM or client; a prefetch's is not one. */
  private static void served(NodeMetrics metrics, ReadRequest r) {
    if (r.admission() != ReadRequest.Admission.PREFETCH) metrics.served(r.image().getId(), r.length());
  }

  private static boolean hasHoles(Read r) {
    for (Block b : r.blocks) if (b == null) return true;
    return false;
  }

  /** Waits for a read from a plain thread (record, resync): its blocks, or the failure as it is. */
  public ReadResult readNow(ReadRequest r) {
    try {
      return read(r).get(REMOTE_LOAD_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw ApiError.unavailable("a read took over " + REMOTE_LOAD_TIMEOUT_MS + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("interrupted while reading");
    }
  }
}
