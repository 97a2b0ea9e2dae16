package io.bootcache.client;

import io.bootcache.backends.BadLocationException;
import io.bootcache.backends.FileStamp;
import io.bootcache.backends.ImageSource;
import io.bootcache.backends.ImageSources;
import io.bootcache.backends.SourceOptions;
import io.bootcache.backends.SourceVersion;
import io.bootcache.v1.Image;
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
 * it, or locations the application gave. An image's file is checked after each read against the size
 * and mtime pinned at its registration: a file that changed since is refused, as the node refuses it,
 * so a VM never sees blocks of the new content mixed with blocks of the old one the cluster cached.
 */
public final class LocationBackend implements BackendReader {
  /** A location, and the version of a remote object the cluster registered ({@link SourceVersion#NONE} for files). */
  public record Where(String location, SourceVersion version) {}

  private final Function<Target, Optional<Where>> locator;
  private final Function<Target, Optional<Image>> pins;
  private final SourceOptions options;
  private final Map<Where, ImageSource> open = new ConcurrentHashMap<>();

  public LocationBackend(Function<Target, Optional<Where>> locator) {
    this(locator, t -> Optional.empty());
  }

  /** @param pins the registered image whose pin the target's file must match, if any */
  public LocationBackend(Function<Target, Optional<Where>> locator, Function<Target, Optional<Image>> pins) {
    this(locator, pins, SourceOptions.DEFAULTS);
  }

  public LocationBackend(Function<Target, Optional<Where>> locator, Function<Target, Optional<Image>> pins,
                         SourceOptions options) {
    this.locator = locator;
    this.pins = pins;
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
    Optional<Image> pin = pins.apply(target);
    if (pin.isPresent() && ImageSources.isFile(where.location())) requireUnchanged(pin.get(), Path.of(where.location()));
    return buf.flip();
  }

  /** Throws FAILED_PRECONDITION when the file's size or mtime is not the one pinned at registration. */
  private static void requireUnchanged(Image image, Path file) throws IOException {
    if (image.getContentMtimeNs() == 0) return; // registered before pinning
    FileStamp now = FileStamp.of(file);
    if (now.size() != image.getSize() || now.mtimeNanos() != image.getContentMtimeNs()) {
      throw new BootCacheException(GrpcStatus.FAILED_PRECONDITION, "image " + image.getId() + "'s file " + file
          + " changed since registration (" + now.size() + " bytes, modified at " + now.modified()
          + "): re-register it under a new id; it is not read, so its new blocks never mix with the cached old ones");
    }
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
