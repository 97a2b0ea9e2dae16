package io.bootcache.node.backend;

import io.bootcache.backends.ImageSource;
import io.bootcache.backends.ImageSources;
import io.bootcache.backends.SourceOptions;
import io.bootcache.backends.SourceVersion;
import io.bootcache.node.ApiError;
import io.bootcache.node.NodeMetrics;
import io.bootcache.v1.Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shared storage where images and disks live: files, NBD exports and HTTP(S) objects, read under
 * the node's rate limit whatever their kind. Every read is counted: this is the precious resource the
 * cache exists to spare.
 */
public final class Backend implements AutoCloseable {
  private final RateLimiter limiter;
  private final long latencyNanos;
  private final NodeMetrics metrics;
  private final SourceOptions options;
  /** Open sources by location and pinned version. */
  private final Map<String, ImageSource> sources = new ConcurrentHashMap<>();

  public Backend(RateLimiter limiter, Duration latency, NodeMetrics metrics) {
    this(limiter, latency, metrics, SourceOptions.DEFAULTS);
  }

  public Backend(RateLimiter limiter, Duration latency, NodeMetrics metrics, SourceOptions options) {
    this.limiter = limiter;
    this.latencyNanos = latency.toNanos();
    this.metrics = metrics;
    this.options = options;
  }

  /** Reads exactly {@code length} bytes at {@code offset} of the image, as one backend read of the version registered. */
  public byte[] read(Image image, long offset, int length) {
    return read(image.getLocation(), new SourceVersion(image.getSourceEtag(), image.getSourceLastModified()), offset, length);
  }

  /** As {@link #read(Image, long, int)}, for a registration taking the image's block manifest: counted apart too. */
  public byte[] readForManifest(Image image, long offset, int length) {
    byte[] out = read(image, offset, length);
    metrics.manifestRead(length);
    return out;
  }

  /** Reads exactly {@code length} bytes at {@code offset} of the location (a full clone's file), as one backend read. */
  public byte[] read(String location, long offset, int length) {
    return read(location, SourceVersion.NONE, offset, length);
  }

  private byte[] read(String location, SourceVersion version, long offset, int length) {
    byte[] out = new byte[length];
    try {
      limiter.acquire(length);
      if (latencyNanos > 0) Thread.sleep(latencyNanos / 1_000_000, (int) (latencyNanos % 1_000_000));
      source(location, version).readFully(offset, ByteBuffer.wrap(out));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("interrupted while reading the backend");
    } catch (IOException e) {
      // a vanished file, an unreachable server and a replaced object alike: this read cannot be answered now
      throw ApiError.unavailable("backend read of " + location + " at " + offset + "+" + length + " failed: " + e.getMessage());
    }
    metrics.backendRead(length);
    return out;
  }

  private ImageSource source(String location, SourceVersion version) throws IOException {
    String key = location + "\n" + version.etag() + "\n" + version.lastModified();
    ImageSource source = sources.get(key);
    if (source != null) return source;
    ImageSource fresh = ImageSources.open(location, options, version);
    ImageSource raced = sources.putIfAbsent(key, fresh);
    if (raced == null) return fresh;
    fresh.close();
    return raced;
  }

  @Override
  public void close() {
    for (ImageSource source : sources.values()) {
      try {
        source.close();
      } catch (IOException ignored) {
        // closing read-only sources: nothing to lose
      }
    }
    sources.clear();
  }
}
