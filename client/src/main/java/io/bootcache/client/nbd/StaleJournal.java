package io.bootcache.client.nbd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The disks whose layer this server knows to lack a write it acknowledged, kept on local disk until
 * the cluster has been told: a line per mark, appended and forced to disk before the write is
 * acknowledged, so that a crash of this server, or of the whole host, cannot lose the mark. A
 * restarted server reads it back before it serves, and tells the cluster then.
 */
final class StaleJournal {
  private static final Logger LOG = Logger.getLogger(StaleJournal.class.getName());

  private final Path file;
  private final Map<String, String> pending = new LinkedHashMap<>(); // disk id -> reason

  StaleJournal(Path file) {
    this.file = file.toAbsolutePath();
    if (Files.exists(this.file)) {
      try {
        for (String line : Files.readAllLines(this.file, StandardCharsets.UTF_8)) {
          int tab = line.indexOf('\t');
          if (tab > 0) pending.put(line.substring(0, tab), line.substring(tab + 1));
          else if (!line.isBlank()) LOG.warning("stale journal " + this.file + ": skipping a torn line");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the stale journal " + this.file, e);
      }
    }
  }

  Path file() {
    return file;
  }

  /** Marks are kept until {@link #told}: the disks and why, in the order marked. */
  synchronized Map<String, String> pending() {
    return new LinkedHashMap<>(pending);
  }

  /** Records that the disk's layer lacks an acknowledged write; durable when this returns. */
  synchronized void mark(String diskId, String reason) {
    String line = diskId + "\t" + reason.replace('\n', ' ').replace('\t', ' ') + "\n";
    try {
      Files.createDirectories(file.getParent());
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND)) {
        ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the stale journal " + file, e);
    }
    pending.putIfAbsent(diskId, reason);
  }

  /** The cluster holds the disk's stale mark now: the journal forgets it. */
  synchronized void told(String diskId) {
    if (pending.remove(diskId) == null) return;
    try {
      Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
      StringBuilder rest = new StringBuilder();
      pending.forEach((id, why) -> rest.append(id).append('\t').append(why).append('\n'));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(rest.toString().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      LOG.warning("cannot rewrite the stale journal " + file + " (" + e.getMessage() + "): the mark of " + diskId
          + " is sent again at the next start, which is harmless");
    }
  }

  List<String> disks() {
    return List.copyOf(pending().keySet());
  }
}
