package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.backend.RateLimiter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Invariant 5: backend reads never exceed the configured rate, in any second. */
class RateLimiterTest {
  @Test
  void noSecondSeesMoreReadsThanTheCapEvenFromManyThreads() throws Exception {
    int iops = 100;
    RateLimiter limiter = new RateLimiter(iops, 0);
    List<Long> starts = Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 30; i++) {
          try {
            limiter.acquire(4096);
          } catch (InterruptedException e) {
            return;
          }
          starts.add(System.nanoTime());
        }
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) th.join(30_000);
    assertEquals(240, starts.size());
    List<Long> sorted = new ArrayList<>(starts);
    Collections.sort(sorted);
    // any window of one second holds at most the cap (plus the read at its very edge)
    int j = 0;
    for (int i = 0; i < sorted.size(); i++) {
      while (sorted.get(i) - sorted.get(j) >= TimeUnit.SECONDS.toNanos(1)) j++;
      assertTrue(i - j + 1 <= iops + 1, (i - j + 1) + " reads within one second, cap " + iops);
    }
  }

  @Test
  void bandwidthCapsBytesPerSecond() throws Exception {
    RateLimiter limiter = new RateLimiter(0, 1 << 20); // 1 MiB/s
    long start = System.nanoTime();
    for (int i = 0; i < 5; i++) limiter.acquire(256 * 1024);
    // five quarter-MiB reads: the fifth may start only after 1 MiB has had its second
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(990), "reads ran past the bandwidth cap");
  }

  @Test
  void zeroMeansUnlimited() throws Exception {
    RateLimiter limiter = new RateLimiter(0, 0);
    for (int i = 0; i < 100_000; i++) limiter.acquire(1 << 20);
    assertTrue(!limiter.limited());
  }
}
