package io.bootcache.sim.bench;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Target;
import io.bootcache.sim.storm.Stats;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A closed loop of {@code concurrency} outstanding reads of {@code size} bytes at random aligned
 * offsets of a cached range, through the client's async read path: each completion issues the next
 * read. Counts what completes inside the measuring window, after a warm-up.
 */
public final class FetchBench {
  public record Result(int size, int concurrency, double opsPerSecond, double p50Ms, double p99Ms, long ops, long errors) {}

  private final BootCacheClient client;
  private final Target target;
  private final long cachedBytes;

  public FetchBench(BootCacheClient client, Target target, long cachedBytes) {
    this.client = client;
    this.target = target;
    this.cachedBytes = cachedBytes;
  }

  public Result run(int size, int concurrency, Duration warmup, Duration duration) throws InterruptedException {
    long slots = cachedBytes / size;
    long warmEnd = System.nanoTime() + warmup.toNanos();
    long end = warmEnd + duration.toNanos();
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(concurrency);
    Worker[] workers = new Worker[concurrency];
    for (int i = 0; i < concurrency; i++) {
      workers[i] = new Worker(new SplittableRandom(i * 31L + size), slots, size, warmEnd, end, stop, done);
    }
    for (Worker w : workers) w.next();
    if (!done.await(warmup.plus(duration).toSeconds() + 60, TimeUnit.SECONDS)) {
      stop.set(true);
      throw new IllegalStateException("reads did not finish within a minute after the measuring window");
    }
    long ops = 0;
    long errors = 0;
    long[] all = new long[0];
    for (Worker w : workers) {
      ops += w.count;
      errors += w.errors;
      int from = all.length;
      all = Arrays.copyOf(all, from + w.count);
      System.arraycopy(w.latencies, 0, all, from, w.count);
    }
    double seconds = duration.toNanos() / 1e9;
    return new Result(size, concurrency, ops / seconds, Stats.percentile(all, 50) / 1e6, Stats.percentile(all, 99) / 1e6, ops, errors);
  }

  private final class Worker {
    private final SplittableRandom rnd;
    private final long slots;
    private final int size;
    private final long warmEnd;
    private final long end;
    private final AtomicBoolean stop;
    private final CountDownLatch done;
    long[] latencies = new long[4096];
    int count;
    long errors;

    Worker(SplittableRandom rnd, long slots, int size, long warmEnd, long end, AtomicBoolean stop, CountDownLatch done) {
      this.rnd = rnd;
      this.slots = slots;
      this.size = size;
      this.warmEnd = warmEnd;
      this.end = end;
      this.stop = stop;
      this.done = done;
    }

    void next() {
      long start = System.nanoTime();
      if (start >= end || stop.get()) {
        done.countDown();
        return;
      }
      long offset = rnd.nextLong(slots) * size;
      client.read(target, offset, size).whenComplete((buf, err) -> {
        long now = System.nanoTime();
        if (start >= warmEnd && now <= end) {
          if (err != null || buf.remaining() != size) {
            errors++;
          } else {
            if (count == latencies.length) latencies = Arrays.copyOf(latencies, count * 2);
            latencies[count++] = now - start;
          }
        }
        next();
      });
    }
  }
}
