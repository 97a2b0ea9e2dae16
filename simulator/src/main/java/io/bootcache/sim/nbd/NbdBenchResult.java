package io.bootcache.sim.nbd;

import java.util.List;

/**
 * The figures of one NBD benchmark run. Latencies are in milliseconds; CPU times in seconds,
 * counted over the timed passes only.
 */
public record NbdBenchResult(String address, long exportSize, boolean structuredReplies, int connections, int inFlight,
    int passes, long reads, long bytes, long writesSkipped, long errors, String firstError, long verifiedReads,
    double wallSeconds, double p50Ms, double p90Ms, double p99Ms, double maxMs, List<ProcessTime> servers,
    double clientCpuSeconds) {
  private static final double GIB = 1024.0 * 1024 * 1024;

  /** CPU seconds one server process used during the run. */
  public record ProcessTime(String name, long pid, double cpuSeconds) {}

  public NbdBenchResult {
    servers = List.copyOf(servers);
  }

  public double readsPerSecond() { return reads / wallSeconds; }

  public double mibPerSecond() { return bytes / (1024.0 * 1024) / wallSeconds; }

  public double serverCpuSeconds() { return servers.stream().mapToDouble(ProcessTime::cpuSeconds).sum(); }

  /** CPU seconds per GiB the run read. */
  public double perGib(double cpuSeconds) { return cpuSeconds / (bytes / GIB); }
}
