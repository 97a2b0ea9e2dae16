package io.bootcache.sim.backend;

import java.util.Arrays;

/** Counts events into one-second buckets measured from a start instant (System.nanoTime based). */
public final class PerSecondCounter {
  private final long startNanos;
  private long[] buckets = new long[64];
  private int used;

  public PerSecondCounter(long startNanos) {
    this.startNanos = startNanos;
  }

  public long startNanos() {
    return startNanos;
  }

  public synchronized void add(long atNanos, long amount) {
    long second = Math.max(0, (atNanos - startNanos) / 1_000_000_000L);
    if (second >= Integer.MAX_VALUE) throw new IllegalStateException("counter ran past its range");
    int i = (int) second;
    if (i >= buckets.length) buckets = Arrays.copyOf(buckets, Math.max(i + 1, buckets.length * 2));
    buckets[i] += amount;
    used = Math.max(used, i + 1);
  }

  /** The per-second totals from the start to the last second that saw an event. */
  public synchronized long[] buckets() {
    return Arrays.copyOf(buckets, used);
  }

  public synchronized long peak() {
    long max = 0;
    for (int i = 0; i < used; i++) max = Math.max(max, buckets[i]);
    return max;
  }
}
