package io.bootcache.node.read;

import io.bootcache.node.ApiError;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCompute;

/**
 * Reads ranges of images and disks, many at a time, on the node a client asked:
 * <ol>
 *   <li>a disk's own layer first (its writes), then its image's layer: block index to hash,
 *       from the memo or one batched look-up for the whole batch;</li>
 *   <li>the hits' bytes in one batched get for the whole batch;</li>
 *   <li>the misses, grouped by stripe, each group sent to the stripe's owner node, which loads
 *       them from the backend once (see {@link Loader}).</li>
 * </ol>
 * Called on a worker thread (it makes synchronous cache calls); the futures complete when the
 * owners have answered.
 */
public final class BlockReader {
  private final Ignite ignite;
  private final BlockMaps maps;
  private final BlockStore store;
  private final Loader localLoader;
  private final Backend backend;
  private final NodeMetrics metrics;

  public BlockReader(Ignite ignite, BlockMaps maps, BlockStore store, Loader localLoader, Backend backend,
      NodeMetrics metrics) {
    this.ignite = ignite;
    this.maps = maps;
    this.store = store;
    this.localLoader = localLoader;
    this.backend = backend;
    this.metrics = metrics;
  }

  /** The state of one request while the batch resolves it. */
  private static final class Read {
    final ReadRequest req;
    final long first;
    final byte[][] data;
    final BlockHash[] hashes;
    final boolean[] resolved;
    int hits;
    int misses;
    final CompletableFuture<ReadResult> done = new CompletableFuture<>();

    Read(ReadRequest req) {
      this.req = req;
      this.first = req.firstBlock();
      int n = req.blockCount();
      this.data = new byte[n][];
      this.hashes = new BlockHash[n];
      this.resolved = new boolean[n];
    }

    ReadResult result() {
      return new ReadResult(first, req.image().getBlockSize(), data, hashes, hits, misses);
    }
  }

  /**
   * The read answered from this node alone, or null: an image read whose blocks the memo maps and
   * whose bytes this node holds. Never blocks on the cluster, so it may run on an event loop.
   */
  public ReadResult readLocally(ReadRequest r) {
    if (r.disk() != null) return null;
    int n = r.blockCount();
    long first = r.firstBlock();
    byte[][] data = new byte[n][];
    BlockHash[] hashes = new BlockHash[n];
    for (int k = 0; k < n; k++) {
      hashes[k] = maps.remembered(r.image().getId(), first + k);
      if (hashes[k] == null || (data[k] = store.localCopy(hashes[k])) == null) return null;
    }
    metrics.blockHits.inc(n);
    return new ReadResult(first, r.image().getBlockSize(), data, hashes, n, 0);
  }

  public CompletableFuture<ReadResult> read(ReadRequest request) {
    return readAll(List.of(request)).get(0);
  }

  public List<CompletableFuture<ReadResult>> readAll(List<ReadRequest> requests) {
    List<Read> reads = new ArrayList<>(requests.size());
    for (ReadRequest r : requests) reads.add(new Read(r));
    List<Read> open = new ArrayList<>();
    for (Read r : reads) {
      try {
        if (r.req.disk() != null && r.req.disk().getState() == DiskState.STALE) readStale(r);
        else {
          if (r.req.disk() != null) resolveDiskLayer(r);
          open.add(r);
        }
      } catch (RuntimeException e) {
        r.done.completeExceptionally(e);
      }
    }
    try {
      resolveImageLayers(open);
      fetchHits(open);
      loadMisses(open);
    } catch (RuntimeException e) {
      for (Read r : open) r.done.completeExceptionally(e);
    }
    List<CompletableFuture<ReadResult>> out = new ArrayList<>(reads.size());
    for (Read r : reads) out.add(r.done);
    return out;
  }

  /** A stale disk's layer may lack writes: full clones are read from their own file, uncached. */
  private void readStale(Read r) {
    Disk disk = r.req.disk();
    if (disk.getMode() != CloneMode.FULL) {
      throw ApiError.failedPrecondition("linked clone " + disk.getId() + " is stale (" + disk.getStaleReason()
          + "): its layer, the only record of its writes, may lack some, so it is not served; `bootcache disk resync "
          + disk.getId() + " --from FILE` rebuilds it from the VM's disk, `bootcache disk reset " + disk.getId()
          + "` discards its writes");
    }
    int bs = r.req.image().getBlockSize();
    long start = r.first * bs;
    int length = (int) Math.min((long) r.data.length * bs, disk.getSize() - start);
    byte[] bytes = backend.read(disk.getLocation(), start, length);
    for (int k = 0; k < r.data.length; k++) {
      r.data[k] = java.util.Arrays.copyOfRange(bytes, k * bs, Math.min((k + 1) * bs, bytes.length));
      r.hashes[k] = BlockHash.of(r.data[k]);
      r.resolved[k] = true;
    }
    r.misses = r.data.length;
    r.done.complete(r.result());
  }

  /** A disk's own writes: their hashes, and a linked clone's bytes. */
  private void resolveDiskLayer(Read r) {
    Map<Long, LayerBlock> written = maps.diskBlocks(Catalog.diskLayer(r.req.disk()), r.first, r.data.length);
    for (Map.Entry<Long, LayerBlock> e : written.entrySet()) {
      int k = (int) (e.getKey() - r.first);
      r.hashes[k] = e.getValue().hash();
      r.data[k] = e.getValue().data();
      r.resolved[k] = true;
    }
  }

  private void resolveImageLayers(List<Read> reads) {
    Set<BlockRef> unknown = new HashSet<>();
    for (Read r : reads) {
      String image = r.req.image().getId();
      for (int k = 0; k < r.data.length; k++) {
        if (r.resolved[k]) continue;
        r.hashes[k] = maps.remembered(image, r.first + k);
        if (r.hashes[k] == null) unknown.add(maps.imageRef(image, r.first + k));
      }
    }
    if (unknown.isEmpty()) return;
    Map<BlockRef, BlockHash> found = maps.lookUp(unknown);
    for (Read r : reads) {
      String image = r.req.image().getId();
      for (int k = 0; k < r.data.length; k++) {
        if (!r.resolved[k] && r.hashes[k] == null) r.hashes[k] = found.get(maps.imageRef(image, r.first + k));
      }
    }
  }

  private void fetchHits(List<Read> reads) {
    Set<BlockHash> wanted = new HashSet<>();
    for (Read r : reads) {
      for (int k = 0; k < r.data.length; k++) if (r.data[k] == null && r.hashes[k] != null) wanted.add(r.hashes[k]);
    }
    Map<BlockHash, byte[]> cached = store.getAll(wanted);
    int hits = 0;
    int evicted = 0;
    for (Read r : reads) {
      for (int k = 0; k < r.data.length; k++) {
        if (r.data[k] == null && r.hashes[k] != null) {
          r.data[k] = cached.get(r.hashes[k]);
          if (r.data[k] == null) evicted++;
        }
        if (r.data[k] != null) r.hits++;
      }
      hits += r.hits;
    }
    metrics.blockHits.inc(hits);
    metrics.evictedMisses.inc(evicted);
  }

  private void loadMisses(List<Read> reads) {
    // group every read's missing image blocks by (image, stripe): one load per group for the batch
    Map<String, Map<Long, TreeSet<Long>>> groups = new HashMap<>();
    for (Read r : reads) {
      if (r.req.disk() != null) readEvictedWrites(r);
      for (int k = 0; k < r.data.length; k++) {
        if (r.data[k] != null) continue;
        long index = r.first + k;
        groups.computeIfAbsent(r.req.image().getId(), i -> new HashMap<>())
            .computeIfAbsent(index / maps.stripeBlocks(), s -> new TreeSet<>()).add(index);
      }
    }
    Map<String, Map<Long, CompletableFuture<Map<Long, Loader.Block>>>> loads = new HashMap<>();
    groups.forEach((image, stripes) -> stripes.forEach((stripe, indexes) ->
        loads.computeIfAbsent(image, i -> new HashMap<>()).put(stripe, loadStripe(image, stripe, indexes, admit(reads, image)))));

    for (Read r : reads) {
      List<CompletableFuture<Map<Long, Loader.Block>>> mine = new ArrayList<>();
      Set<Long> stripes = new HashSet<>();
      for (int k = 0; k < r.data.length; k++) if (r.data[k] == null) stripes.add((r.first + k) / maps.stripeBlocks());
      for (long s : stripes) mine.add(loads.get(r.req.image().getId()).get(s));
      if (mine.isEmpty()) {
        r.done.complete(r.result());
        continue;
      }
      CompletableFuture.allOf(mine.toArray(CompletableFuture[]::new)).whenComplete((v, err) -> {
        if (err != null) {
          r.done.completeExceptionally(err instanceof java.util.concurrent.CompletionException ? err.getCause() : err);
          return;
        }
        for (int k = 0; k < r.data.length; k++) {
          if (r.data[k] != null) continue;
          long index = r.first + k;
          Loader.Block b = loads.get(r.req.image().getId()).get(index / maps.stripeBlocks()).join().get(index);
          r.data[k] = b.data();
          r.hashes[k] = b.hash();
          r.misses++;
        }
        r.done.complete(r.result());
      });
    }
  }

  /** Admit a group's blocks if any read in the batch that wants them is admitted. */
  private static boolean admit(List<Read> reads, String imageId) {
    for (Read r : reads) if (r.req.admit() && r.req.image().getId().equals(imageId)) return true;
    return false;
  }

  /** A full clone's written block whose bytes the cache evicted: its own file has them. */
  private void readEvictedWrites(Read r) {
    Disk disk = r.req.disk();
    int bs = r.req.image().getBlockSize();
    for (int k = 0; k < r.data.length; k++) {
      if (!r.resolved[k] || r.data[k] != null) continue;
      long start = (r.first + k) * bs;
      r.data[k] = backend.read(disk.getLocation(), start, (int) Math.min(bs, disk.getSize() - start));
      r.hashes[k] = BlockHash.of(r.data[k]);
      r.misses++;
    }
  }

  private CompletableFuture<Map<Long, Loader.Block>> loadStripe(String imageId, long stripe, TreeSet<Long> indexes,
      boolean admit) {
    long[] idx = indexes.stream().mapToLong(Long::longValue).toArray();
    metrics.blockMisses.inc(idx.length);
    CompletableFuture<Map<Long, Loader.Block>> out = new CompletableFuture<>();
    IgniteCompute compute = ignite.compute();
    int affinityKey = BlockRef.stripeKey(io.bootcache.node.catalog.Catalog.imageLayer(imageId), stripe);
    compute.affinityCallAsync(Caches.BLOCKMAP, affinityKey, new LoadJob(imageId, idx, admit)).listen(f -> {
      try {
        out.complete(unpack(f.get()));
      } catch (RuntimeException ownerFailed) {
        ApiError refused = ApiError.in(ownerFailed);
        if (refused != null) {
          out.completeExceptionally(refused);
          return;
        }
        // the owner left or failed: load here, still once per block on this node
        try {
          out.complete(unpack(localLoader.load(imageId, idx, admit)));
        } catch (RuntimeException e) {
          out.completeExceptionally(e);
        }
      }
    });
    return out;
  }

  private static Map<Long, Loader.Block> unpack(LoadedBlocks loaded) {
    Map<Long, Loader.Block> out = new HashMap<>();
    for (int i = 0; i < loaded.indexes.length; i++) {
      out.put(loaded.indexes[i], new Loader.Block(loaded.data[i], BlockHash.fromBytes(loaded.hashes[i])));
    }
    return out;
  }
}
