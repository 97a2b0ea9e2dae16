package io.bootcache.client;

import io.bootcache.backends.BadLocationException;
import io.bootcache.backends.ImageSource;
import io.bootcache.backends.ImageSources;
import io.bootcache.backends.SourceOptions;
import io.bootcache.backends.SourceVersion;
import io.vertx.grpc.common.GrpcStatus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The default fallback: reads a target's true content where it lives, as the node would: a raw image
 * file, a full clone's own copy, an NBD export or an HTTP(S) object (pinned to the version the cluster
 * registered). Which location is the locator's answer: the client's catalog of what the cluster told
 * it, or locations the application gave.
 */
public final class LocationBackend implements BackendReader {
  /** A location, and the version of a remote object the cluster registered ({@link SourceVersion#NONE} for files). */
  public record Where(String location, SourceVersion version) {}

  private final Function<Target, Optional<Where>> locator;
  private final SourceOptions options;
  private final Map<Where, ImageSource> open = new ConcurrentHashMap<>();

  public LocationBackend(Function<Target, Optional<Where>> locator) {
    this(locator, SourceOptions.DEFAULTS);
  }

  public LocationBackend(Function<Target, Optional<Where>> locator, SourceOptions options) {
    this.locator = locator;
    this.options = options;
  }

  /** A backend for fixed locations: image or disk id to its raw file. */
  public static LocationBackend of(Map<String, Path> files) {
    Map<String, Path> copy = Map.copyOf(files);
    return new LocationBackend(t -> Optional.ofNullable(copy.get(t.id())).map(p -> new Where(p.toString(), SourceVersion.NONE)));
  }

  @Override
  public ByteBuffer read(Target target, long offset, int length) throws IOException {
    Where where = locator.apply(target).orElseThrow(() -> new BootCacheException(GrpcStatus.NOT_FOUND,
        "no backend location known for " + target + " (the cluster never told this client about it)"));
    ImageSource source = source(where);
    long size = source.size();
    if (offset < 0 || length <= 0 || offset + length > size) {
      throw new BootCacheException(GrpcStatus.OUT_OF_RANGE,
          "range [" + offset + ", " + (offset + length) + ") is outside " + target + " of " + size + " bytes");
    }
    ByteBuffer buf = ByteBuffer.allocate(length);
    source.readFully(offset, buf);
    return buf.flip();
  }

  private ImageSource source(Where where) throws IOException {
    ImageSource source = open.get(where);
    if (source != null) return source;
    ImageSource fresh;
    try {
      fresh = ImageSources.open(where.location(), options, where.version());
    } catch (BadLocationException e) {
      throw new IOException("backend location of " + where.location() + " is not readable: " + e.getMessage(), e);
    }
    ImageSource raced = open.putIfAbsent(where, fresh);
    if (raced == null) return fresh;
    fresh.close();
    return raced;
  }

  @Override
  public void close() throws IOException {
    for (ImageSource source : open.values()) source.close();
    open.clear();
  }
}
