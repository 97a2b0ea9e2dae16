package io.bootcache.node.read;

import io.bootcache.node.NodeMetrics;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.BlockRef;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster's copy of image blocks: the one look-up, index to hash (this node's memo, then the
 * image's block map) to bytes (the blocks cache), batched; and admission, which puts both.
 */
public final class ClusterBlocks {
  private final BlockMaps maps;
  private final BlockStore store;
  private final NodeMetrics metrics;

  public ClusterBlocks(BlockMaps maps, BlockStore store, NodeMetrics metrics) {
    this.maps = maps;
    this.store = store;
    this.metrics = metrics;
  }

  /**
   * The cluster's copy of each of the image's blocks, in the order asked, or null where it has none
   * (never admitted, or its bytes evicted). Blocking: one call to the block map for what the memo
   * lacks, one to the blocks cache.
   */
  public Block[] find(String imageId, long[] indexes) {
    BlockHash[] hashes = new BlockHash[indexes.length];
    Set<BlockRef> unknown = new HashSet<>();
    for (int i = 0; i < indexes.length; i++) {
      hashes[i] = maps.remembered(imageId, indexes[i]);
      if (hashes[i] == null) unknown.add(maps.imageRef(imageId, indexes[i]));
    }
    Map<BlockRef, BlockHash> mapped = maps.lookUp(unknown);
    Set<BlockHash> wanted = new HashSet<>();
    for (int i = 0; i < indexes.length; i++) {
      if (hashes[i] == null) hashes[i] = mapped.get(maps.imageRef(imageId, indexes[i]));
      if (hashes[i] != null) wanted.add(hashes[i]);
    }
    Map<BlockHash, byte[]> bytes = store.getAll(wanted);
    Block[] out = new Block[indexes.length];
    int evicted = 0;
    for (int i = 0; i < indexes.length; i++) {
      byte[] b = hashes[i] == null ? null : bytes.get(hashes[i]);
      if (b != null) out[i] = new Block(indexes[i], hashes[i], ByteBuffer.wrap(b));
      else if (hashes[i] != null) evicted++;
    }
    // Ignite's page eviction is silent: what shows is a mapped block whose bytes are gone
    metrics.evictedMisses.inc(evicted);
    return out;
  }

  /** Blocks of one image to admit. */
  public record ImageBlocks(String imageId, Block[] blocks) {}

  /** Puts the images' blocks into the cluster: their bytes by hash, then each image's map to them; two calls. */
  public void admit(List<ImageBlocks> batch) {
    Map<BlockHash, byte[]> bytes = new HashMap<>();
    Map<String, Map<Long, BlockHash>> byImage = new HashMap<>();
    int count = 0;
    for (ImageBlocks ib : batch) {
      Map<Long, BlockHash> map = byImage.computeIfAbsent(ib.imageId(), k -> new HashMap<>());
      for (Block b : ib.blocks()) {
        bytes.computeIfAbsent(b.hash(), h -> b.copy());
        map.put(b.index(), b.hash());
        count++;
      }
    }
    store.putAll(bytes);
    maps.mapAll(byImage);
    metrics.admittedBlocks.inc(count);
  }

  /** Puts one image's blocks into the cluster. */
  public void admit(String imageId, Block[] blocks) {
    admit(List.of(new ImageBlocks(imageId, blocks)));
  }
}
