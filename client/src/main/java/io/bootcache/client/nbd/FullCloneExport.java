package io.bootcache.client.nbd;

import io.bootcache.nbd.ExportConnection;
import io.bootcache.nbd.NbdExport;
import io.bootcache.nbd.FileIo;
import io.bootcache.nbd.WrittenBlocks;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Target;
import io.bootcache.v1.Disk;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * A full clone's disk, read-write. Its own backing file is the truth: writes go there (positional
 * writes; FLUSH and FUA force the file) and are recorded into the disk's layer in the cluster. Reads
 * touching a block written through this server come from the file; the others go through the cluster
 * (which holds the disk's layer over its image).
 */
public final class FullCloneExport implements NbdExport, AutoCloseable {
  private static final int ZERO_CHUNK = 1 << 20; // also the largest write recorded in one event
  private static final byte[] ZEROES = new byte[ZERO_CHUNK];

  private final BootCacheClient client;
  private final BootSessions sessions;
  private final ReadThrottle throttle;
  private final AcknowledgedWrites writes;
  private final Disk disk;
  private final Target target;
  private final Path path;
  private final FileChannel file;
  private final WrittenBlocks written;

  /** Opens the disk's backing file read-write; fails if it cannot. */
  FullCloneExport(BootCacheClient client, BootSessions sessions, ReadThrottle throttle, AcknowledgedWrites writes,
      Disk disk) throws IOException {
    this.client = client;
    this.sessions = sessions;
    this.throttle = throttle;
    this.writes = writes;
    this.disk = disk;
    this.target = Target.disk(disk.getId());
    this.path = pathOf(disk.getLocation());
    this.file = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    if (file.size() < disk.getSize()) {
      file.close();
      throw new IOException(path + " has " + Files.size(path) + " bytes, the disk has " + disk.getSize());
    }
    this.written = new WrittenBlocks(disk.getBlockSize() > 0 ? disk.getBlockSize() : 4096);
  }

  /** A backend location (an absolute path or a file: URI) as a path. */
  public static Path pathOf(String location) {
    return location.startsWith("file:") ? Path.of(URI.create(location)) : Path.of(location);
  }

  Disk disk() {
    return disk;
  }

  @Override
  public String name() {
    return disk.getId();
  }

  @Override
  public long size() {
    return disk.getSize();
  }

  @Override
  public int blockSize() {
    return disk.getBlockSize();
  }

  @Override
  public boolean writable() {
    return true;
  }

  @Override
  public String description() {
    return "full-clone disk (read-write, file " + path + "), " + disk.getSize() + " bytes";
  }

  @Override
  public ExportConnection connect(String peer) {
    BootRecording recording = sessions.start(target, peer);
    return new ExportConnection() {
      @Override
      public CompletableFuture<ByteBuf> read(long offset, int length) {
        return recording.beforeRead(offset, length).thenCompose(session -> written.any(offset, length)
            ? CompletableFuture.supplyAsync(() -> FileIo.readFully(file, offset, length), FileIo.POOL)
            : throttle.submit(length, () -> client.read(target, offset, length, session)))
            .thenApply(Unpooled::wrappedBuffer);
      }

      @Override
      public CompletableFuture<Void> write(long offset, byte[] data, boolean fua) {
        return CompletableFuture.runAsync(() -> {
          // Marked first: from here on reads of these blocks come from the file.
          written.mark(offset, data.length);
          FileIo.writeFully(file, offset, ByteBuffer.wrap(data));
          if (fua) {
            FileIo.force(file);
          }
          // Recorded in pieces a record event can carry.
          for (int done = 0; done < data.length; done += ZERO_CHUNK) {
            int n = Math.min(ZERO_CHUNK, data.length - done);
            writes.record(disk.getId(), offset + done,
                n == data.length ? data : Arrays.copyOfRange(data, done, done + n));
          }
        }, FileIo.POOL);
      }

      @Override
      public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return CompletableFuture.runAsync(() -> {
          written.mark(offset, length);
          FileIo.writeZeroes(file, offset, length);
          if (fua) {
            FileIo.force(file);
          }
          for (long done = 0; done < length; done += ZERO_CHUNK) {
            int n = (int) Math.min(ZERO_CHUNK, length - done);
            writes.record(disk.getId(), offset + done, n == ZERO_CHUNK ? ZEROES : new byte[n]);
          }
        }, FileIo.POOL);
      }

      @Override
      public CompletableFuture<Void> flush() {
        return CompletableFuture.runAsync(() -> FileIo.force(file), FileIo.POOL);
      }

      @Override
      public CompletableFuture<Void> trim(long offset, long length) {
        // A hint only: the file keeps its bytes, so the disk's content stays what it was.
        return CompletableFuture.completedFuture(null);
      }

      @Override
      public void close() {
        recording.close();
      }
    };
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
