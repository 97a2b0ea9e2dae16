package io.bootcache.sim.workload;

import java.util.SplittableRandom;

/**
 * Request sizes drawn from a log-normal distribution fitted to a median and a 90th percentile,
 * clipped to [align, max] and rounded up to a multiple of {@code align}.
 */
public record ReadSizes(int median, int p90, int max, int align) {
  private static final double Z90 = 1.2815515655446004;

  public ReadSizes {
    if (align <= 0 || Integer.bitCount(align) != 1) throw new IllegalArgumentException("align must be a power of two, got " + align);
    if (median < align) throw new IllegalArgumentException("median " + median + " is below the alignment " + align);
    if (p90 < median) throw new IllegalArgumentException("p90 " + p90 + " is below the median " + median);
    if (max < p90) throw new IllegalArgumentException("max " + max + " is below p90 " + p90);
  }

  public int next(SplittableRandom rnd) {
    double sigma = Math.log((double) p90 / median) / Z90;
    double v = median * Math.exp(sigma * gaussian(rnd));
    long size = (long) Math.ceil(Math.min(max, Math.max(align, v)) / align) * align;
    return (int) Math.min(size, max);
  }

  private static double gaussian(SplittableRandom rnd) {
    double u1 = 1 - rnd.nextDouble();
    double u2 = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
