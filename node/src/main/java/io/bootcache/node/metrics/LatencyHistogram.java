package io.bootcache.node.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * Durations counted into fixed buckets, in seconds. Unlike a summary's quantiles, the buckets of
 * many nodes add up, so a dashboard can take the p99 of a whole cluster.
 */
public final class LatencyHistogram {
  /** Upper bounds for one request: 50 µs to 10 s. */
  public static final double[] REQUEST_SECONDS =
      {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  /** Upper bounds for a whole boot: 1 s to 15 min. */
  public static final double[] BOOT_SECONDS = {1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900};

  /** Cumulative counts per bound (the last is +Inf), the sum of all durations in seconds, and their count. */
  public record Snapshot(double[] bounds, long[] cumulative, double sumSeconds) {
    public long count() {
      return cumulative[cumulative.length - 1];
    }
  }

  private final double[] bounds;
  private final LongAdder[] buckets;
  private final LongAdder sumNanos = new LongAdder();

  public LatencyHistogram(double[] bounds) {
    for (int i = 1; i < bounds.length; i++) {
      if (bounds[i] <= bounds[i - 1]) throw new IllegalArgumentException("bucket bounds must increase");
    }
    this.bounds = bounds.clone();
    this.buckets = new LongAdder[bounds.length + 1];
    for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
  }

  public void observeNanos(long nanos) {
    long n = Math.max(0, nanos);
    double seconds = n / 1e9;
    int i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    buckets[i].increment();
    sumNanos.add(n);
  }

  /** Times from {@code startNanos} (a {@link System#nanoTime()}) to now. */
  public void observeSince(long startNanos) {
    observeNanos(System.nanoTime() - startNanos);
  }

  public Snapshot snapshot() {
    long[] cumulative = new long[buckets.length];
    long running = 0;
    for (int i = 0; i < buckets.length; i++) {
      running += buckets[i].sum();
      cumulative[i] = running;
    }
    return new Snapshot(bounds.clone(), cumulative, sumNanos.sum() / 1e9);
  }
}
