package io.bootcache.sim.workload;

/**
 * One request of a boot: issued {@code gapMicros} after the previous request of the same VM was
 * issued (the VM's think time), and only when fewer than {@code depth} requests are in flight.
 */
public record IoRequest(long gapMicros, boolean write, long offset, int length, int depth) {
  public IoRequest {
    if (gapMicros < 0) throw new IllegalArgumentException("negative gap " + gapMicros);
    if (offset < 0) throw new IllegalArgumentException("negative offset " + offset);
    if (length <= 0) throw new IllegalArgumentException("length must be positive, got " + length);
    if (depth <= 0) throw new IllegalArgumentException("depth must be positive, got " + depth);
  }

  public long end() {
    return offset + length;
  }
}
