package io.bootcache.node.backend;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Paces backend reads to at most {@code iops} operations and {@code bytesPerSecond} bytes per
 * second, with no burst. Readers take turns: each waits for the previous read's slot to pass and
 * sets the next one from the moment it actually starts, so a reader that wakes late never lets
 * the next one start early. A small margin absorbs the jitter between the slot and the read.
 * Zero means unlimited.
 */
public final class RateLimiter {
  /** Pace 3 % under the cap: a thread may run a few ms after its slot, and no second may exceed it. */
  static final double MARGIN = 0.97;

  private final long nanosPerOp;
  private final double nanosPerByte;
  private final ReentrantLock turn = new ReentrantLock(true);
  private long nextFree = System.nanoTime();

  public RateLimiter(long iops, long bytesPerSecond) {
    this.nanosPerOp = iops > 0 ? (long) (TimeUnit.SECONDS.toNanos(1) / (iops * MARGIN)) : 0;
    this.nanosPerByte = bytesPerSecond > 0 ? 1e9 / (bytesPerSecond * MARGIN) : 0;
  }

  public boolean limited() {
    return nanosPerOp > 0 || nanosPerByte > 0;
  }

  /** Waits until one read of {@code bytes} may start. */
  public void acquire(long bytes) throws InterruptedException {
    if (!limited()) return;
    turn.lockInterruptibly();
    try {
      long now;
      while ((now = System.nanoTime()) < nextFree) {
        LockSupport.parkNanos(nextFree - now);
        if (Thread.interrupted()) throw new InterruptedException();
      }
      nextFree = now + Math.max(nanosPerOp, (long) (bytes * nanosPerByte));
    } finally {
      turn.unlock();
    }
  }
}
