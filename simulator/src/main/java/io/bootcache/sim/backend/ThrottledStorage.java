package io.bootcache.sim.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated shared storage: real files read through one {@link RateLimiter} (IOPS and
 * bandwidth caps) with a fixed latency added to every request. It is the real read path, slowed
 * down: every request reads its bytes from the file, at the time the limits allow.
 *
 * <p>Every read is counted when the storage starts it (its reserved slot), per second, so the
 * per-second counters can be checked against the cap.
 */
public final class ThrottledStorage implements AutoCloseable {
  private final Throttle throttle;
  private final RateLimiter limiter;
  private final ScheduledExecutorService timer;
  private final Map<Path, FileChannel> files = new ConcurrentHashMap<>();
  private final AtomicLong reads = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private volatile PerSecondCounter readsPerSecond;
  private volatile PerSecondCounter bytesPerSecond;

  public ThrottledStorage(Throttle throttle) {
    this.throttle = throttle;
    this.limiter = new RateLimiter(throttle.iops(), throttle.bytesPerSecond());
    this.timer = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "throttled-storage");
      t.setDaemon(true);
      return t;
    });
    resetCounters(System.nanoTime());
  }

  public Throttle throttle() {
    return throttle;
  }

  /** Starts counting again from zero, with per-second buckets starting at {@code startNanos}. */
  public synchronized void resetCounters(long startNanos) {
    reads.set(0);
    bytes.set(0);
    readsPerSecond = new PerSecondCounter(startNanos);
    bytesPerSecond = new PerSecondCounter(startNanos);
  }

  /** Reads [offset, offset+length) of the file, clipped at its end, when the limits allow it. */
  public CompletableFuture<ByteBuffer> read(Path file, long offset, int length) {
    if (offset < 0 || length < 0) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("bad range " + offset + "+" + length));
    }
    FileChannel ch;
    try {
      ch = channel(file);
    } catch (UncheckedIOException e) {
      return CompletableFuture.failedFuture(e.getCause());
    }
    long now = System.nanoTime();
    long start = limiter.reserve(now, length);
    reads.incrementAndGet();
    bytes.addAndGet(length);
    readsPerSecond.add(start, 1);
    bytesPerSecond.add(start, length);
    long delay = start - now + throttle.latency().toNanos();
    CompletableFuture<ByteBuffer> f = new CompletableFuture<>();
    timer.schedule(() -> {
      try {
        f.complete(readFully(ch, offset, length));
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, Math.max(0, delay), TimeUnit.NANOSECONDS);
    return f;
  }

  public long reads() {
    return reads.get();
  }

  public long bytes() {
    return bytes.get();
  }

  public long[] readsPerSecond() {
    return readsPerSecond.buckets();
  }

  public long[] bytesPerSecond() {
    return bytesPerSecond.buckets();
  }

  private FileChannel channel(Path file) {
    return files.computeIfAbsent(file.toAbsolutePath(), p -> {
      try {
        return FileChannel.open(p, StandardOpenOption.READ);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  static ByteBuffer readFully(FileChannel ch, long offset, int length) throws IOException {
    long size = ch.size();
    int n = (int) Math.max(0, Math.min(length, size - offset));
    ByteBuffer buf = ByteBuffer.allocate(n);
    while (buf.hasRemaining()) {
      int r = ch.read(buf, offset + buf.position());
      if (r < 0) break;
    }
    buf.flip();
    return buf;
  }

  @Override
  public void close() {
    timer.shutdownNow();
    for (FileChannel ch : files.values()) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing a read-only channel: nothing to lose
      }
    }
  }
}
