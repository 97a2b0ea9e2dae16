package io.bootcache.node.read;

/**
 * The blocks a read covers, whole and in order, with how many came from cache and how many from the
 * backend. Blocks served from the host tier lend its memory: {@link #release} gives it back, once the
 * bytes have been written where they go. Releasing twice is harmless.
 */
public final class ReadResult {
  private final Block[] blocks;
  private final int hits;
  private final int misses;
  private HostTier.Lease lease;

  ReadResult(Block[] blocks, int hits, int misses, HostTier.Lease lease) {
    this.blocks = blocks;
    this.hits = hits;
    this.misses = misses;
    this.lease = lease;
  }

  public Block[] blocks() { return blocks; }
  public int hits() { return hits; }
  public int misses() { return misses; }
  public long firstBlock() { return blocks[0].index(); }

  /** Gives back the host tier memory the blocks lend, if any. */
  public void release() {
    HostTier.Lease l = lease;
    lease = null;
    if (l != null) l.release();
  }
}
