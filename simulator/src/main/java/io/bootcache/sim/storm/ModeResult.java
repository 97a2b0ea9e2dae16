package io.bootcache.sim.storm;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One storm in one mode, measured.
 *
 * @param bootMs boot time of each VM (power-on to its last read), NaN for a VM that failed
 * @param uniqueBytes unique bytes the VMs read, in whole blocks: the working set
 * @param backend what the backend readers counted during the storm
 * @param iopsPerSecond backend reads in each second of the storm
 * @param iopsExact whether {@code iopsPerSecond} comes from the reader's own per-second buckets
 *     (true) or from counters sampled about once a second (false)
 * @param hitRatioPerSecond cache block hit ratio in each sampled interval (empty without a cache)
 * @param readLatencyMs p50 and p99 of the VMs' read latency
 * @param extra mode-specific counters (client fallbacks, sessions...)
 */
public record ModeResult(
    String mode,
    int vms,
    int hosts,
    double[] bootMs,
    long reads,
    long readBytes,
    long localReads,
    long writes,
    long errors,
    String firstError,
    long verifiedReads,
    long verifiedBytes,
    long mismatches,
    List<String> firstMismatches,
    long uniqueBytes,
    BackendCounters backend,
    long[] iopsPerSecond,
    boolean iopsExact,
    double[] hitRatioPerSecond,
    double[] readLatencyMs,
    double wallSeconds,
    List<Sample> samples,
    Map<String, Long> extra) {

  public double amplification() {
    return uniqueBytes == 0 ? 0 : (double) backend.bytes() / uniqueBytes;
  }

  public long peakIops() {
    return Arrays.stream(iopsPerSecond).max().orElse(0);
  }

  public double hitRatio() {
    long all = backend.hits() + backend.misses();
    return all == 0 ? 0 : (double) backend.hits() / all;
  }

  public double bootPercentile(double p) {
    return Stats.percentile(bootMs, p);
  }

  public double bootMax() {
    return Arrays.stream(bootMs).filter(d -> !Double.isNaN(d)).max().orElse(Double.NaN);
  }

  public boolean hasCache() {
    return backend.hits() + backend.misses() > 0 || backend.regionUsedBytes() > 0;
  }
}
