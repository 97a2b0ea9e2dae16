package io.bootcache.node.cluster;

/**
 * What a disk's own layer holds for a block it wrote. The bytes live in the blocks cache under
 * the hash; a linked clone's are also kept here, because no backing file of the cluster's holds
 * a linked clone's writes and the blocks cache may evict them. {@code seq} is the sequence number of
 * the write that made it (0: unsequenced).
 */
public final class LayerBlock {
  private byte[] hash;
  private byte[] data;
  private long seq;

  public LayerBlock(byte[] hash, byte[] data, long seq) {
    this.hash = hash;
    this.data = data;
    this.seq = seq;
  }

  public BlockHash hash() { return BlockHash.fromBytes(hash); }
  byte[] hashBytes() { return hash; }
  /** The block's bytes for a linked clone; null for a full clone (its file holds them). */
  public byte[] data() { return data; }
  public long seq() { return seq; }
}
