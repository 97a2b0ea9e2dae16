package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.BlockRef;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.LayerBlock;
import io.bootcache.node.cluster.SequencedPut;
import io.bootcache.node.catalog.Catalog;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.cache.affinity.Affinity;

/**
 * Which hash each block of a layer has. An image's layer never changes once a block is mapped
 * (images are immutable), so every node keeps the mappings it has seen in a bounded memo and
 * resolves hot blocks without a cluster round trip. Disk layers change with writes: always asked.
 */
public final class BlockMaps {
  /** About 100 bytes of heap each; 256 Ki of them map 1 GiB of 4 KiB blocks. */
  static final int MEMO_CAPACITY = 256 * 1024;

  private final IgniteCache<BlockRef, byte[]> blockmap;
  private final IgniteCache<BlockRef, LayerBlock> diskLayers;
  private final Affinity<BlockRef> diskLayerAffinity;
  private final int stripeBlocks;
  private final Map<String, Map<Long, BlockHash>> memo = new ConcurrentHashMap<>();
  private final AtomicInteger memoSize = new AtomicInteger();

  public BlockMaps(Ignite ignite, int stripeBlocks) {
    this.blockmap = ignite.cache(Caches.BLOCKMAP);
    this.diskLayers = ignite.cache(Caches.DISK_LAYERS);
    this.diskLayerAffinity = ignite.affinity(Caches.DISK_LAYERS);
    this.stripeBlocks = stripeBlocks;
  }

  /** A layer's marker: written when the layer starts, so that a restart can tell whether the layer survived it. */
  private BlockRef marker(String layer) {
    return new BlockRef(layer, -1, stripeBlocks);
  }

  /** Marks that a disk layer starts now (before the disk record points at it). */
  public void markLayer(String layer) {
    diskLayers.put(marker(layer), new LayerBlock(new byte[32], null, 0));
  }

  /** Whether the cluster holds the layer's marker: false after a restart that lost the layer. */
  public boolean layerKept(String layer) {
    try {
      return diskLayers.containsKey(marker(layer));
    } catch (RuntimeException e) {
      return false; // in a lost partition: not known to be kept
    }
  }

  /** The disk-layer partitions that hold these blocks of a layer. */
  public BitSet diskPartitions(String layer, Set<Long> indexes) {
    BitSet out = new BitSet();
    for (long i : indexes) out.set(diskLayerAffinity.partition(new BlockRef(layer, i, stripeBlocks)));
    return out;
  }

  /**
   * Whether some disk-layer partitions are lost (every copy was on nodes that left): their entries
   * can be neither read nor written until the partitions are reset, and the cache refuses them.
   */
  public boolean diskLayersLost() {
    return !diskLayers.lostPartitions().isEmpty();
  }

  public int stripeBlocks() {
    return stripeBlocks;
  }

  public BlockRef imageRef(String imageId, long index) {
    return new BlockRef(Catalog.imageLayer(imageId), index, stripeBlocks);
  }

  /** The memo's hash of an image block, or null. */
  public BlockHash remembered(String imageId, long index) {
    Map<Long, BlockHash> m = memo.get(imageId);
    return m == null ? null : m.get(index);
  }

  /** Asks the cluster for image blocks the memo lacks; remembers what it finds. */
  public Map<BlockRef, BlockHash> lookUp(Set<BlockRef> refs) {
    Map<BlockRef, BlockHash> out = new HashMap<>();
    if (refs.isEmpty()) return out;
    for (Map.Entry<BlockRef, byte[]> e : blockmap.getAll(refs).entrySet()) {
      BlockHash h = BlockHash.fromBytes(e.getValue());
      out.put(e.getKey(), h);
      remember(imageOf(e.getKey()), e.getKey().index(), h);
    }
    return out;
  }

  /** Maps blocks of images (image id to block index to hash) in the cluster, in one call, and in the memo. */
  public void mapAll(Map<String, Map<Long, BlockHash>> byImage) {
    Map<BlockRef, byte[]> batch = new HashMap<>();
    byImage.forEach((imageId, blocks) -> blocks.forEach((index, hash) -> {
      batch.put(imageRef(imageId, index), hash.toBytes());
      remember(imageId, index, hash);
    }));
    if (!batch.isEmpty()) blockmap.putAll(batch);
  }

  public void remember(String imageId, long index, BlockHash hash) {
    if (memoSize.get() >= MEMO_CAPACITY) {
      // crude but bounded: start over; the hot blocks come back on their next read
      memo.clear();
      memoSize.set(0);
    }
    if (memo.computeIfAbsent(imageId, k -> new ConcurrentHashMap<>()).put(index, hash) == null) {
      memoSize.incrementAndGet();
    }
  }

  /** A disk layer's entries for blocks [first, first + count). */
  public Map<Long, LayerBlock> diskBlocks(String layer, long first, int count) {
    Set<BlockRef> refs = new HashSet<>();
    for (long i = first; i < first + count; i++) refs.add(new BlockRef(layer, i, stripeBlocks));
    Map<Long, LayerBlock> out = new HashMap<>();
    for (Map.Entry<BlockRef, LayerBlock> e : diskLayers.getAll(refs).entrySet()) out.put(e.getKey().index(), e.getValue());
    return out;
  }

  public void putDiskBlocks(String layer, Map<Long, LayerBlock> blocks) {
    Map<BlockRef, LayerBlock> batch = new HashMap<>();
    blocks.forEach((i, b) -> batch.put(new BlockRef(layer, i, stripeBlocks), b));
    diskLayers.putAll(batch);
  }

  /**
   * Puts a disk layer's blocks, each as its {@link SequencedPut} allows; answers the outcome of each
   * block that was not put.
   */
  public Map<Long, SequencedPut.Outcome> putDiskBlocksInOrder(String layer, Map<Long, LayerBlock> blocks, Map<Long, byte[]> baseHashes) {
    Map<BlockRef, SequencedPut> batch = new HashMap<>();
    blocks.forEach((i, b) -> batch.put(new BlockRef(layer, i, stripeBlocks),
        new SequencedPut(b, baseHashes.get(i))));
    Map<Long, SequencedPut.Outcome> refused = new TreeMap<>();
    diskLayers.invokeAll(batch).forEach((ref, result) -> {
      SequencedPut.Outcome outcome = SequencedPut.Outcome.of(result.get());
      if (outcome != SequencedPut.Outcome.PUT) refused.put(ref.index(), outcome);
    });
    return refused;
  }

  private static String imageOf(BlockRef ref) {
    return ref.layer().substring(2);
  }
}
