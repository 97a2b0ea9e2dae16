package io.bootcache.sim.backend;

/**
 * A token bucket without burst over two resources, operations and bytes: each request is given the
 * earliest instant at which both buckets have room for it, and requests are spaced so that no
 * one-second window ever holds more than the caps allow. Reservations are handed out in order, so
 * the waiting is a queue, as at a real storage array.
 */
public final class RateLimiter {
  private final long nanosPerOp;
  private final double nanosPerByte;
  private long nextOpNanos;
  private double nextByteNanos;

  public RateLimiter(long iops, long bytesPerSecond) {
    // Rounded up, so that a second never fits more than iops operations.
    this.nanosPerOp = iops == 0 ? 0 : (1_000_000_000L + iops - 1) / iops;
    this.nanosPerByte = bytesPerSecond == 0 ? 0 : 1e9 / bytesPerSecond;
    this.nextOpNanos = Long.MIN_VALUE / 2;
    this.nextByteNanos = Long.MIN_VALUE / 2;
  }

  /** Reserves one operation of {@code bytes} and returns the nanoTime at which it may start. */
  public synchronized long reserve(long nowNanos, long bytes) {
    long start = Math.max(nowNanos, Math.max(nextOpNanos, (long) Math.ceil(nextByteNanos)));
    nextOpNanos = start + nanosPerOp;
    // The byte bucket lets a request start when the previous bytes have drained; its own bytes
    // then delay the next request.
    nextByteNanos = start + bytes * nanosPerByte;
    return start;
  }
}
