package io.bootcache.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Positional file I/O, and the pool that runs it off the NBD connection threads. */
public final class FileIo {
  private FileIo() {}

  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Blocking file I/O (mostly page-cache hits): a fixed set of threads, so many small requests in flight stay cheap. */
  public static final ExecutorService POOL = Executors.newFixedThreadPool(32, r -> {
    Thread t = new Thread(r, "nbd-file-io-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  /** Reads exactly {@code length} bytes at {@code offset}. */
  public static ByteBuffer readFully(FileChannel file, long offset, int length) {
    ByteBuffer buf = ByteBuffer.allocate(length);
    try {
      while (buf.hasRemaining()) {
        int n = file.read(buf, offset + buf.position());
        if (n < 0) {
          throw new EOFException("file ends before " + (offset + length));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buf.flip();
  }

  /** Writes all of {@code data} at {@code offset}. */
  public static void writeFully(FileChannel file, long offset, ByteBuffer data) {
    try {
      long at = offset;
      while (data.hasRemaining()) {
        at += file.write(data, at);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code length} zero bytes at {@code offset}, a chunk at a time. */
  public static void writeZeroes(FileChannel file, long offset, long length) {
    ByteBuffer zeroes = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
    for (long done = 0; done < length; ) {
      int n = (int) Math.min(zeroes.capacity(), length - done);
      writeFully(file, offset + done, zeroes.clear().limit(n));
      done += n;
    }
  }

  public static void force(FileChannel file) {
    try {
      file.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
