package io.bootcache.node.backend;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Paces backend reads to at most {@code iops} operations and {@code bytesPerSecond} bytes per
 * second, with no burst: each read reserves its slot on one timeline and waits for it, so no
 * second of wall time ever sees more than the configured rate. Zero means unlimited.
 */
public final class RateLimiter {
  private final long nanosPerOp;
  private final double nanosPerByte;
  private long nextFree = System.nanoTime();

  public RateLimiter(long iops, long bytesPerSecond) {
    this.nanosPerOp = iops > 0 ? TimeUnit.SECONDS.toNanos(1) / iops : 0;
    this.nanosPerByte = bytesPerSecond > 0 ? 1e9 / bytesPerSecond : 0;
  }

  public boolean limited() {
    return nanosPerOp > 0 || nanosPerByte > 0;
  }

  /** Waits until one read of {@code bytes} may start. */
  public void acquire(long bytes) throws InterruptedException {
    if (!limited()) return;
    long wait = reserve(bytes);
    long deadline = System.nanoTime() + wait;
    while (wait > 0) {
      LockSupport.parkNanos(wait);
      if (Thread.interrupted()) throw new InterruptedException();
      wait = deadline - System.nanoTime();
    }
  }

  private synchronized long reserve(long bytes) {
    long now = System.nanoTime();
    long start = Math.max(now, nextFree);
    nextFree = start + Math.max(nanosPerOp, (long) (bytes * nanosPerByte));
    return start - now;
  }
}
