package io.bootcache.sim.storm;

/**
 * A snapshot of what the backend and the cache did: backend reads and bytes, cache block hits and
 * misses, cache memory used and unique bytes cached (zeros where a mode has no cache).
 */
public record BackendCounters(long reads, long bytes, long hits, long misses, long regionUsedBytes, long cachedBytes) {
  public static final BackendCounters ZERO = new BackendCounters(0, 0, 0, 0, 0, 0);

  /** The counters accumulated since {@code before}; memory figures are levels, kept as they are now. */
  public BackendCounters minus(BackendCounters before) {
    return new BackendCounters(reads - before.reads, bytes - before.bytes, hits - before.hits,
        misses - before.misses, regionUsedBytes, cachedBytes);
  }
}
