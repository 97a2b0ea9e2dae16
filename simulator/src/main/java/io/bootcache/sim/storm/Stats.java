package io.bootcache.sim.storm;

import java.util.Arrays;

/** Percentiles over samples (nearest rank); NaN entries are ignored. */
public final class Stats {
  private Stats() {}

  public static double percentile(double[] values, double p) {
    double[] v = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
    if (v.length == 0) return Double.NaN;
    int rank = (int) Math.ceil(p / 100.0 * v.length);
    return v[Math.min(v.length - 1, Math.max(0, rank - 1))];
  }

  public static double percentile(long[] values, double p) {
    return percentile(Arrays.stream(values).asDoubleStream().toArray(), p);
  }
}
