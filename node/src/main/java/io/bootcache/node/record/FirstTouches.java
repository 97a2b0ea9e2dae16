package io.bootcache.node.record;

import java.util.Arrays;

/**
 * The blocks one boot read and when each was first read (ms into the boot), in a bounded amount of
 * memory: an open-addressing table of primitives, at most {@link #MAX_BLOCKS} blocks (4 GiB of 4 KiB
 * blocks, far past any boot's working set). Past it further blocks are counted, not kept: a client
 * reading a whole image costs this much and no more. Not thread-safe: one boot records in order.
 */
public final class FirstTouches {
  public static final int MAX_BLOCKS = 1 << 20;
  private static final int EMPTY = -1;

  /** Open-addressing table: slot -> position in {@link #order} of the block there, or EMPTY. */
  private int[] table = new int[1024];
  /** The blocks in the order first read, and when each was. */
  private long[] order = new long[256];
  private int[] times = new int[256];
  private int size;
  private long dropped;

  public FirstTouches() {
    Arrays.fill(table, EMPTY);
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
    if (table[slot] != EMPTY) return;
    if (size == order.length) {
      order = Arrays.copyOf(order, size * 2);
      times = Arrays.copyOf(times, size * 2);
    }
    table[slot] = size;
    order[size] = block;
    times[size++] = tMs;
    if (size * 2 > table.length) grow();
  }

  /** Where the block is, or the empty slot where it would go (linear probing). */
  private int slot(long block) {
    int mask = table.length - 1;
    int i = (int) (mix(block) & mask);
    while (table[i] != EMPTY && order[table[i]] != block) i = (i + 1) & mask;
    return i;
  }

  private void grow() {
    table = new int[table.length * 2];
    Arrays.fill(table, EMPTY);
    for (int i = 0; i < size; i++) table[slot(order[i])] = i;
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

  /** The block's position in the order first read, or -1 if it was not read. */
  public int indexOf(long block) {
    return table[slot(block)];
  }

  /** The {@code i}th block first read. */
  public long block(int i) {
    return order[i];
  }

  /** When the {@code i}th block was first read, ms into the boot. */
  public int firstTouchMs(int i) {
    return times[i];
  }
}
