package io.bootcache.node.cluster;

import java.util.Objects;
import org.apache.ignite.cache.affinity.AffinityKeyMapped;

/**
 * One block of one layer (an image's, or a disk's generation): the key of the block maps.
 * Blocks of one layer are grouped in stripes of consecutive blocks that live on the same node,
 * so a range read resolves in one hop per stripe, and that node is the one that loads the
 * stripe's misses from the backend (single flight).
 */
public final class BlockRef {
  private String layer;
  private long index;
  @AffinityKeyMapped
  private int stripe;

  public BlockRef(String layer, long index, int stripeBlocks) {
    this.layer = layer;
    this.index = index;
    this.stripe = stripeKey(layer, index / stripeBlocks);
  }

  /** The affinity key of a stripe: equal for every block of it. */
  public static int stripeKey(String layer, long stripeNo) {
    return 31 * layer.hashCode() + Long.hashCode(stripeNo * 0x9E3779B97F4A7C15L);
  }

  public String layer() { return layer; }
  public long index() { return index; }
  public int stripe() { return stripe; }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlockRef r && r.index == index && r.layer.equals(layer);
  }

  @Override
  public int hashCode() {
    return Objects.hash(layer, index);
  }

  @Override
  public String toString() {
    return layer + "#" + index;
  }
}
