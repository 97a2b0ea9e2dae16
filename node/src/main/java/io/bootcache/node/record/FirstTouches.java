package io.bootcache.node.record;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The blocks one boot read and when each was first read (ms into the boot), in a bounded amount of
 * memory: an open-addressing table of primitives, at most {@link #MAX_BLOCKS} blocks (4 GiB of 4 KiB
 * blocks, far past any boot's working set). Past it further blocks are counted, not kept: a client
 * reading a whole image costs this much and no more. Not thread-safe: one boot records in order.
 */
public final class FirstTouches {
  public static final int MAX_BLOCKS = 1 << 20;
  private static final long EMPTY = -1;

  private long[] blocks = new long[1024];
  private int[] times = new int[1024];
  private long[] order = new long[256];
  private int size;
  private long dropped;

  public FirstTouches() {
    Arrays.fill(blocks, EMPTY);
  }

  /** Records blocks [first, last] as read at {@code tMs}, unless read before. */
  public void touch(long first, long last, int tMs) {
    for (long b = first; b <= last; b++) {
      if (size >= MAX_BLOCKS) { // full: what is left of the range is counted, not walked
        dropped += last - b + 1;
        return;
      }
      touch(b, tMs);
    }
  }

  private void touch(long block, int tMs) {
    int slot = slot(block);
    if (blocks[slot] == block) return;
    blocks[slot] = block;
    times[slot] = tMs;
    if (size == order.length) order = Arrays.copyOf(order, size * 2);
    order[size++] = block;
    if (size * 2 > blocks.length) grow();
  }

  /** Where the block is, or the empty slot where it would go (linear probing). */
  private int slot(long block) {
    int mask = blocks.length - 1;
    int i = (int) (mix(block) & mask);
    while (blocks[i] != EMPTY && blocks[i] != block) i = (i + 1) & mask;
    return i;
  }

  private void grow() {
    long[] oldBlocks = blocks;
    int[] oldTimes = times;
    blocks = new long[oldBlocks.length * 2];
    times = new int[oldBlocks.length * 2];
    Arrays.fill(blocks, EMPTY);
    for (int i = 0; i < oldBlocks.length; i++) {
      if (oldBlocks[i] == EMPTY) continue;
      int slot = slot(oldBlocks[i]);
      blocks[slot] = oldBlocks[i];
      times[slot] = oldTimes[i];
    }
  }

  private static long mix(long x) {
    x *= 0x9E3779B97F4A7C15L;
    return x ^ (x >>> 32);
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** Blocks read past the cap, and so not recorded. */
  public long dropped() {
    return dropped;
  }

  /** Block index to first touch, in the order first read. */
  public Map<Long, Integer> asMap() {
    Map<Long, Integer> out = new LinkedHashMap<>();
    for (int i = 0; i < size; i++) out.put(order[i], times[slot(order[i])]);
    return out;
  }
}
