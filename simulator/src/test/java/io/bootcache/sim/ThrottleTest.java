package io.bootcache.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.sim.backend.ImageContent;
import io.bootcache.sim.backend.PerSecondCounter;
import io.bootcache.sim.backend.RateLimiter;
import io.bootcache.sim.backend.Throttle;
import io.bootcache.sim.backend.ThrottledStorage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThrottleTest {

  @Test
  void limiterNeverPutsMoreThanTheCapInAnySecond() {
    RateLimiter limiter = new RateLimiter(300, 0);
    PerSecondCounter perSecond = new PerSecondCounter(0);
    // 2,000 requests all arriving at once, then more arriving late
    for (int i = 0; i < 2000; i++) perSecond.add(limiter.reserve(0, 4096), 1);
    for (int i = 0; i < 500; i++) perSecond.add(limiter.reserve(9_500_000_000L + i * 1_000_000L, 4096), 1);
    long[] b = perSecond.buckets();
    assertEquals(2500, Arrays.stream(b).sum());
    assertTrue(perSecond.peak() <= 300, Arrays.toString(b));
    assertEquals(300, b[0], "a saturated second is used fully");
  }

  @Test
  void limiterNeverPutsMoreThanTheBandwidthInAnySecond() {
    long cap = 1024 * 1024;
    RateLimiter limiter = new RateLimiter(0, cap);
    PerSecondCounter bytes = new PerSecondCounter(0);
    for (int i = 0; i < 100; i++) bytes.add(limiter.reserve(0, 64 * 1024), 64 * 1024);
    assertTrue(bytes.peak() <= cap, Arrays.toString(bytes.buckets()));
    assertEquals(100 * 64 * 1024L, Arrays.stream(bytes.buckets()).sum());
  }

  @Test
  void throttledStorageReadsTheRealBytesAndCountsEveryReadUnderTheCap(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("img.raw");
    long size = 4L * 1024 * 1024;
    new ImageContent(3, 0.1).write(image, size, null);
    byte[] file = Files.readAllBytes(image);
    Throttle throttle = new Throttle(400, 8L * 1024 * 1024, Duration.ofMillis(2));
    try (ThrottledStorage storage = new ThrottledStorage(throttle)) {
      storage.resetCounters(System.nanoTime());
      List<CompletableFuture<ByteBuffer>> reads = new ArrayList<>();
      List<long[]> ranges = new ArrayList<>();
      for (int i = 0; i < 900; i++) {
        long offset = (i * 7919L % 1000) * 4096;
        int length = 4096 * (1 + i % 3);
        ranges.add(new long[] {offset, length});
        reads.add(storage.read(image, offset, length));
      }
      long bytes = 0;
      for (int i = 0; i < reads.size(); i++) {
        ByteBuffer b = reads.get(i).join();
        int off = (int) ranges.get(i)[0];
        int len = (int) ranges.get(i)[1];
        byte[] got = new byte[b.remaining()];
        b.get(got);
        assertArrayEquals(Arrays.copyOfRange(file, off, off + len), got);
        bytes += len;
      }
      assertEquals(900, storage.reads());
      assertEquals(bytes, storage.bytes());
      long[] perSecond = storage.readsPerSecond();
      assertEquals(900, Arrays.stream(perSecond).sum());
      for (long n : perSecond) assertTrue(n <= 400, Arrays.toString(perSecond));
      for (long n : storage.bytesPerSecond()) assertTrue(n <= 8L * 1024 * 1024, Arrays.toString(storage.bytesPerSecond()));
      // the cap was the limit: 900 reads need at least three one-second buckets
      assertTrue(perSecond.length >= 3, Arrays.toString(perSecond));
    }
  }

  @Test
  void readsPastTheEndAreClippedAndBadRangesRefused(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("small.raw");
    new ImageContent(1, 0).write(image, 64 * 1024, null);
    try (ThrottledStorage storage = new ThrottledStorage(Throttle.NONE)) {
      assertEquals(4096, storage.read(image, 60 * 1024, 8192).join().remaining());
      assertTrue(storage.read(image, -1, 10).isCompletedExceptionally());
      assertTrue(storage.read(dir.resolve("missing.raw"), 0, 10).isCompletedExceptionally());
    }
    assertThrows(IllegalArgumentException.class, () -> new Throttle(-1, 0, Duration.ZERO));
  }

  @Test
  void imageContentIsDeterministicAndHasDuplicateBlocks(@TempDir Path dir) throws Exception {
    ImageContent content = new ImageContent(42, 0.2);
    byte[] a = new byte[4096];
    byte[] b = new byte[4096];
    content.block(17, a);
    content.block(17, b);
    assertArrayEquals(a, b);
    java.util.Set<String> distinct = new java.util.HashSet<>();
    int blocks = 2000;
    for (int i = 0; i < blocks; i++) {
      content.block(i, a);
      distinct.add(Arrays.toString(java.security.MessageDigest.getInstance("SHA-256").digest(a)));
    }
    int duplicates = blocks - distinct.size();
    assertTrue(duplicates > blocks * 0.15 && duplicates < blocks * 0.25, "duplicates: " + duplicates);
    Path f = dir.resolve("sparse.raw");
    java.util.BitSet only = new java.util.BitSet();
    only.set(3);
    content.write(f, 1024 * 1024, only);
    byte[] all = Files.readAllBytes(f);
    assertEquals(1024 * 1024, all.length);
    content.block(3, a);
    assertArrayEquals(a, Arrays.copyOfRange(all, 3 * 4096, 4 * 4096));
    assertArrayEquals(new byte[4096], Arrays.copyOfRange(all, 0, 4096), "untouched blocks are holes");
  }
}
