package io.bootcache.client;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Keeps a number of 4 KiB reads in flight for a while and counts them; for the benchmarks. */
final class ReadLoad {
  final AtomicLong done = new AtomicLong();
  final AtomicLong failed = new AtomicLong();
  double seconds;

  /** Reads issued from one plain thread, a semaphore keeping {@code concurrency} in flight. */
  static ReadLoad fromOneThread(BootCacheClient client, Target t, int concurrency, int seconds, LongSupplier offsets) throws InterruptedException {
    ReadLoad load = new ReadLoad();
    Semaphore inFlight = new Semaphore(concurrency);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      inFlight.acquire();
      client.read(t, offsets.getAsLong(), 4096).whenComplete((b, err) -> {
        if (err != null) load.failed.incrementAndGet();
        load.done.incrementAndGet();
        inFlight.release();
      });
    }
    inFlight.acquire(concurrency);
    load.seconds = (System.nanoTime() - start) / 1e9;
    return load;
  }

  /** {@code concurrency} chains, each issuing its next read from the completion of the last (an async shim). */
  static ReadLoad chained(BootCacheClient client, Target t, int concurrency, int seconds, LongSupplier offsets) throws InterruptedException {
    ReadLoad load = new ReadLoad();
    CountDownLatch chains = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    for (int i = 0; i < concurrency; i++) load.next(client, t, end, offsets, chains);
    chains.await();
    load.seconds = (System.nanoTime() - start) / 1e9;
    return load;
  }

  private void next(BootCacheClient client, Target t, long end, LongSupplier offsets, CountDownLatch chains) {
    client.read(t, offsets.getAsLong(), 4096).whenComplete((b, err) -> {
      if (err != null) failed.incrementAndGet();
      done.incrementAndGet();
      if (System.nanoTime() < end) next(client, t, end, offsets, chains);
      else chains.countDown();
    });
  }

  static LongSupplier randomBlocks(long size) {
    return () -> ThreadLocalRandom.current().nextLong(size / 4096) * 4096;
  }

  double perSecond() {
    return done.get() / seconds;
  }
}
