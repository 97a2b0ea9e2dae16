package io.bootcache.node.catalog;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The node's data directory: images, disks and boot profiles as protobuf files, one per id,
 * so that a restarted cluster knows them again. Files are replaced atomically.
 */
public final class MetadataFiles {
  private final Path dir;

  public MetadataFiles(Path dataDir) {
    this.dir = dataDir.resolve("metadata");
  }

  public void save(String kind, String id, MessageLite message) {
    try {
      Path folder = Files.createDirectories(dir.resolve(kind));
      Path tmp = Files.createTempFile(folder, id, ".tmp");
      Files.write(tmp, message.toByteArray());
      Files.move(tmp, folder.resolve(id + ".pb"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save " + kind + " " + id + " under " + dir, e);
    }
  }

  public <T> List<T> loadAll(String kind, Parser<T> parser) {
    Path folder = dir.resolve(kind);
    List<T> out = new ArrayList<>();
    if (!Files.isDirectory(folder)) return out;
    try (Stream<Path> files = Files.list(folder)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".pb"))::iterator) {
        try {
          out.add(parser.parseFrom(Files.readAllBytes(f)));
        } catch (IOException e) {
          System.err.println("bootcache: skipping unreadable metadata file " + f + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
    return out;
  }
}
