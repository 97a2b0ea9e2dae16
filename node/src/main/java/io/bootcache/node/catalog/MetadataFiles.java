package io.bootcache.node.catalog;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The node's data directory: images, disks and boot profiles as files, one per id, so that a
 * restarted cluster knows them again. A file is written whole or not at all: to a temporary file,
 * forced to disk, renamed over the old one, and the directory forced too. It carries a CRC32C of
 * its content; one that fails its check at start is reported and set aside, and the node goes on.
 */
public final class MetadataFiles {
  private static final Logger LOG = Logger.getLogger(MetadataFiles.class.getName());
  /** "BCM1": bootcache metadata, format 1. */
  private static final int MAGIC = 0x42434d31;
  private static final int HEADER_BYTES = 12;
  private static final String SUFFIX = ".pb";

  private final Path dir;

  public MetadataFiles(Path dataDir) {
    this.dir = dataDir.resolve("metadata");
  }

  /** Writes the record of {@code kind} (images, disks, profiles) and id, durably, replacing the old one. */
  public synchronized void save(String kind, String id, byte[] payload) {
    try {
      Path folder = Files.createDirectories(dir.resolve(kind));
      Path tmp = Files.createTempFile(folder, id, ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(payload.length).putInt(crc(payload));
        ch.write(header.flip());
        ByteBuffer body = ByteBuffer.wrap(payload);
        while (body.hasRemaining()) ch.write(body);
        ch.force(true);
      }
      Files.move(tmp, folder.resolve(id + SUFFIX), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      forceDirectory(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save " + kind + " " + id + " under " + dir, e);
    }
  }

  public void save(String kind, String id, MessageLite record) {
    save(kind, id, record.toByteArray());
  }

  /** Removes the record, durably. */
  public synchronized void delete(String kind, String id) {
    Path folder = dir.resolve(kind);
    try {
      if (Files.deleteIfExists(folder.resolve(id + SUFFIX))) forceDirectory(folder);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + kind + " " + id + " under " + dir, e);
    }
  }

  /**
   * Every record of {@code kind} that reads back whole. A file that does not (torn, truncated, bit
   * rot, not a record) is reported and moved aside as {@code NAME.corrupt}, for an operator to look at.
   */
  public <T> List<T> loadAll(String kind, Parser<T> parser) {
    Path folder = dir.resolve(kind);
    List<T> out = new ArrayList<>();
    if (!Files.isDirectory(folder)) return out;
    List<Path> files;
    try (Stream<Path> listing = Files.list(folder)) {
      files = listing.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + folder, e);
    }
    for (Path f : files) {
      try {
        out.add(parser.parseFrom(read(f)));
      } catch (IOException e) {
        setAside(f, e.getMessage());
      }
    }
    return out;
  }

  /** The payload of a record file, after checking its header and CRC. */
  private static byte[] read(Path f) throws IOException {
    byte[] all = Files.readAllBytes(f);
    if (all.length < HEADER_BYTES) throw new IOException("shorter than its header (" + all.length + " bytes)");
    ByteBuffer b = ByteBuffer.wrap(all);
    if (b.getInt() != MAGIC) throw new IOException("not a bootcache metadata record (bad magic)");
    int length = b.getInt();
    int crc = b.getInt();
    if (length != all.length - HEADER_BYTES) {
      throw new IOException("holds " + (all.length - HEADER_BYTES) + " bytes where its header says " + length);
    }
    byte[] payload = new byte[length];
    b.get(payload);
    if (crc(payload) != crc) throw new IOException("its CRC32C does not match its content");
    return payload;
  }

  private static void setAside(Path f, String why) {
    Path aside = f.resolveSibling(f.getFileName() + ".corrupt");
    try {
      Files.move(f, aside, StandardCopyOption.REPLACE_EXISTING);
      LOG.severe("metadata file " + f + " is corrupt (" + why + "): set aside as " + aside + "; the node goes on without it");
    } catch (IOException e) {
      LOG.severe("metadata file " + f + " is corrupt (" + why + ") and cannot be set aside: " + e.getMessage());
    }
  }

  private static void forceDirectory(Path folder) throws IOException {
    try (FileChannel d = FileChannel.open(folder, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private static int crc(byte[] payload) {
    CRC32C c = new CRC32C();
    c.update(payload);
    return (int) c.getValue();
  }
}
