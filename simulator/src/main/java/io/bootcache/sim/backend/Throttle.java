package io.bootcache.sim.backend;

import java.time.Duration;

/**
 * The limits of the simulated shared storage: an IOPS cap, a bandwidth cap and a latency added to
 * every request. Zero means "no limit" for the caps.
 */
public record Throttle(long iops, long bytesPerSecond, Duration latency) {

  public static final Throttle NONE = new Throttle(0, 0, Duration.ZERO);

  public Throttle {
    if (iops < 0) throw new IllegalArgumentException("iops must be >= 0, got " + iops);
    if (bytesPerSecond < 0) throw new IllegalArgumentException("bytesPerSecond must be >= 0, got " + bytesPerSecond);
    if (latency == null || latency.isNegative()) throw new IllegalArgumentException("latency must be >= 0, got " + latency);
  }

  /** The same storage split evenly over {@code parts} readers (one per node): their sum is this. */
  public Throttle split(int parts) {
    if (parts <= 1) return this;
    return new Throttle(iops == 0 ? 0 : Math.max(1, iops / parts),
        bytesPerSecond == 0 ? 0 : Math.max(1, bytesPerSecond / parts), latency);
  }

  @Override
  public String toString() {
    return (iops == 0 ? "unlimited IOPS" : iops + " IOPS") + ", "
        + (bytesPerSecond == 0 ? "unlimited bandwidth" : Units.bytes(bytesPerSecond) + "/s") + ", +"
        + latency.toNanos() / 1e6 + " ms per request";
  }
}
