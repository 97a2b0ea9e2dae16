package io.bootcache.sim.storm;

/** The counters of a storm at one instant, {@code seconds} after it started. */
public record Sample(double seconds, BackendCounters counters, long vmsDone, long reads) {}
