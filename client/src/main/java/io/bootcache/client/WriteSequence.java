package io.bootcache.client;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Sequence numbers of the writes this process sends: microseconds since the epoch, rising, so they
 * are later than any an earlier run of it gave. The node refuses to merge a write under a later one.
 */
public final class WriteSequence {
  private static final AtomicLong LAST = new AtomicLong(System.currentTimeMillis() * 1000);

  private WriteSequence() {}

  public static long next() {
    return LAST.incrementAndGet();
  }
}
