package io.bootcache.sim.trace;

/**
 * One request of a recorded trace: when ({@code tMs}, from any origin), which stream (a VM, a
 * disk, a connection), read or write, and the byte range.
 */
public record TraceRecord(double tMs, String stream, boolean write, long offset, long length) {
  public TraceRecord {
    if (offset < 0) throw new IllegalArgumentException("negative offset " + offset);
    if (length < 0) throw new IllegalArgumentException("negative length " + length);
  }
}
