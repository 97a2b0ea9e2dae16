package io.bootcache.client;

import io.bootcache.v1.Image;
import io.vertx.grpc.common.GrpcStatus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The default fallback: reads a target's backing file (a raw image, or a full clone's own copy) with
 * positional reads. Which file is the locator's answer: the client's catalog of what the cluster told
 * it, or locations the application gave. An image's file is checked after each read against the size
 * and mtime pinned at its registration: a file that changed since is refused, as the node refuses it,
 * so a VM never sees blocks of the new content mixed with blocks of the old one the cluster cached.
 */
public final class FileBackend implements BackendReader {
  private final Function<Target, Optional<Path>> locator;
  private final Function<Target, Optional<Image>> pins;
  private final Map<Path, FileChannel> open = new ConcurrentHashMap<>();

  public FileBackend(Function<Target, Optional<Path>> locator) {
    this(locator, t -> Optional.empty());
  }

  /** @param pins the registered image whose pin the target's file must match, if any */
  public FileBackend(Function<Target, Optional<Path>> locator, Function<Target, Optional<Image>> pins) {
    this.locator = locator;
    this.pins = pins;
  }

  /** A backend for fixed locations: image or disk id to its raw file. */
  public static FileBackend of(Map<String, Path> locations) {
    Map<String, Path> copy = Map.copyOf(locations);
    return new FileBackend(t -> Optional.ofNullable(copy.get(t.id())));
  }

  @Override
  public ByteBuffer read(Target target, long offset, int length) throws IOException {
    Path file = locator.apply(target).orElseThrow(() -> new BootCacheException(GrpcStatus.NOT_FOUND,
        "no backing file known for " + target + " (the cluster never told this client about it)"));
    FileChannel ch = channel(file);
    long size = ch.size();
    if (offset < 0 || length <= 0 || offset + length > size) {
      throw new BootCacheException(GrpcStatus.OUT_OF_RANGE,
          "range [" + offset + ", " + (offset + length) + ") is outside " + target + " of " + size + " bytes");
    }
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      int n = ch.read(buf, offset + buf.position());
      if (n < 0) throw new IOException(file + " shrank while reading it");
    }
    Optional<Image> pin = pins.apply(target);
    if (pin.isPresent()) requireUnchanged(pin.get(), file);
    return buf.flip();
  }

  /** Throws FAILED_PRECONDITION when the file's size or mtime is not the one pinned at registration. */
  private static void requireUnchanged(Image image, Path file) throws IOException {
    if (image.getContentMtimeNs() == 0) return; // registered before pinning
    BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
    long mtime = now.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    if (now.size() != image.getSize() || mtime != image.getContentMtimeNs()) {
      throw new BootCacheException(GrpcStatus.FAILED_PRECONDITION, "image " + image.getId() + "'s file " + file
          + " changed since registration (" + now.size() + " bytes, modified at " + now.lastModifiedTime()
          + "): re-register it under a new id; it is not read, so its new blocks never mix with the cached old ones");
    }
  }

  private FileChannel channel(Path file) throws IOException {
    FileChannel ch = open.get(file);
    if (ch != null && ch.isOpen()) return ch;
    try {
      FileChannel fresh = FileChannel.open(file, StandardOpenOption.READ);
      FileChannel raced = open.putIfAbsent(file, fresh);
      if (raced != null && raced.isOpen()) {
        fresh.close();
        return raced;
      }
      open.put(file, fresh);
      return fresh;
    } catch (NoSuchFileException e) {
      throw new IOException("backing file " + file + " does not exist", e);
    }
  }

  @Override
  public void close() throws IOException {
    for (FileChannel ch : open.values()) ch.close();
    open.clear();
  }
}
