package io.bootcache.client.nbd;

import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;
import io.bootcache.v1.ListDisksResponse;
import io.bootcache.v1.ListImagesResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The last image and disk lists the cluster gave, kept in a file, so that an NBD server started while
 * the cluster is down still knows its exports and their backing files. The file holds the two list
 * responses, length-delimited protobuf, and is replaced atomically.
 */
public final class ExportListCache {
  private final Path file;

  /** What the cluster last listed. */
  public record Snapshot(List<Image> images, List<Disk> disks) {}

  public ExportListCache(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** The saved lists, or empty if there is no readable file. */
  public Optional<Snapshot> load() {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(file)) {
      ListImagesResponse images = ListImagesResponse.parseDelimitedFrom(in);
      ListDisksResponse disks = ListDisksResponse.parseDelimitedFrom(in);
      if (images == null || disks == null) {
        throw new IOException("truncated");
      }
      return Optional.of(new Snapshot(images.getImagesList(), disks.getDisksList()));
    } catch (IOException e) {
      Logger.getLogger(ExportListCache.class.getName())
          .warning("ignoring unreadable export cache " + file + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  void save(List<Image> images, List<Disk> disks) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        ListImagesResponse.newBuilder().addAllImages(images).build().writeDelimitedTo(out);
        ListDisksResponse.newBuilder().addAllDisks(disks).build().writeDelimitedTo(out);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
