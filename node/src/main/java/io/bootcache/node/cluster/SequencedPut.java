package io.bootcache.node.cluster;

import java.util.Arrays;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.MutableEntry;

/**
 * Puts a disk-layer block, run by Ignite on the entry's primary under its lock, so that two writers
 * cannot interleave their checks and puts. It refuses when a later write reached the block first,
 * and, for a block merged from part of a write and the block as it read, when the block no longer
 * holds what was read (the merge would drop whatever changed it). The outcome travels as its
 * ordinal: an enum comes back from another node as Ignite's binary form.
 */
public final class SequencedPut implements EntryProcessor<BlockRef, LayerBlock, Integer> {
  public enum Outcome {
    PUT,
    /** A write with a later sequence number holds the block: this one cannot go under it. */
    OVERTAKEN,
    /** The block no longer holds the bytes the write was merged into: merge again. */
    BASE_CHANGED;

    public static Outcome of(Integer ordinal) {
      return values()[ordinal];
    }
  }

  private final LayerBlock block;
  private final byte[] baseHash;

  /**
   * {@code baseHash}: the hash of the bytes the write was merged into, or null for a block the write
   * covers whole (whatever the block held does not matter then).
   */
  public SequencedPut(LayerBlock block, byte[] baseHash) {
    this.block = block;
    this.baseHash = baseHash;
  }

  @Override
  public Integer process(MutableEntry<BlockRef, LayerBlock> entry, Object... args) {
    return outcome(entry).ordinal();
  }

  private Outcome outcome(MutableEntry<BlockRef, LayerBlock> entry) {
    LayerBlock current = entry.getValue();
    if (current != null && block.seq() != 0 && current.seq() > block.seq()) return Outcome.OVERTAKEN;
    // no entry: the block still reads as its image's, which is what the merge read (entries are never removed)
    if (baseHash != null && current != null && !Arrays.equals(current.hashBytes(), baseHash)) return Outcome.BASE_CHANGED;
    entry.setValue(block);
    return Outcome.PUT;
  }
}
