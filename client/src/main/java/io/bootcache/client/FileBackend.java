package io.bootcache.client;

import io.vertx.grpc.common.GrpcStatus;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The default fallback: reads a target's backing file (a raw image, or a full clone's own copy) with
 * positional reads. Which file is the locator's answer: the client's catalog of what the cluster told
 * it, or locations the application gave.
 */
public final class FileBackend implements BackendReader {
  private final Function<Target, Optional<Path>> locator;
  private final Map<Path, FileChannel> open = new ConcurrentHashMap<>();

  public FileBackend(Function<Target, Optional<Path>> locator) {
    this.locator = locator;
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
    return buf.flip();
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
