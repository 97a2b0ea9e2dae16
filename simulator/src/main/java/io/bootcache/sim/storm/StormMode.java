package io.bootcache.sim.storm;

import io.bootcache.sim.workload.BootScript;

/** How the VMs of a storm reach their images: straight to the backend, or through bootcache. */
public interface StormMode extends AutoCloseable {
  String name();

  /** Powers VM {@code vm} on, on host {@code host}: opens its disk (a boot session, for a cache). */
  VmIo open(BootScript script, int vm, int host) throws Exception;

  /** What the real backend readers and the cache have counted so far. */
  BackendCounters counters();

  /**
   * The backend's reads per second since {@code startNanos}, counted exactly by the reader, or
   * null when this mode only has {@link #counters()} (sampled once a second by the storm).
   */
  default long[] exactReadsPerSecond() {
    return null;
  }

  /** Called right before a storm's VMs start: exact per-second counters restart at {@code startNanos}. */
  default void startCounting(long startNanos) {}

  @Override
  default void close() throws Exception {}
}
