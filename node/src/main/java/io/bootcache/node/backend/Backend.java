package io.bootcache.node.backend;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeMetrics;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shared storage: image and disk files, read with positional reads under the node's rate
 * limit. Every read is counted: this is the precious resource the cache exists to spare.
 */
public final class Backend implements AutoCloseable {
  private final RateLimiter limiter;
  private final long latencyNanos;
  private final NodeMetrics metrics;
  private final Map<String, FileChannel> channels = new ConcurrentHashMap<>();

  public Backend(RateLimiter limiter, Duration latency, NodeMetrics metrics) {
    this.limiter = limiter;
    this.latencyNanos = latency.toNanos();
    this.metrics = metrics;
  }

  /** Reads exactly {@code length} bytes at {@code offset} of the file, as one backend read. */
  public byte[] read(String location, long offset, int length) {
    byte[] out = new byte[length];
    try {
      limiter.acquire(length);
      if (latencyNanos > 0) Thread.sleep(latencyNanos / 1_000_000, (int) (latencyNanos % 1_000_000));
      ByteBuffer buf = ByteBuffer.wrap(out);
      FileChannel ch = channel(location);
      while (buf.hasRemaining()) {
        int n = ch.read(buf, offset + buf.position());
        if (n < 0) throw new EOFException("end of " + location + " at " + (offset + buf.position()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("interrupted while reading the backend");
    } catch (IOException e) {
      channels.remove(location);
      throw ApiError.unavailable("backend read of " + location + " at " + offset + "+" + length + " failed: " + e);
    }
    metrics.backendRead(length);
    return out;
  }

  private FileChannel channel(String location) throws IOException {
    FileChannel ch = channels.get(location);
    if (ch != null && ch.isOpen()) return ch;
    ch = FileChannel.open(Path.of(location), StandardOpenOption.READ);
    FileChannel raced = channels.putIfAbsent(location, ch);
    if (raced != null && raced.isOpen()) {
      ch.close();
      return raced;
    }
    channels.put(location, ch);
    return ch;
  }

  @Override
  public void close() {
    for (FileChannel ch : channels.values()) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closing read-only channels: nothing to lose
      }
    }
    channels.clear();
  }
}
