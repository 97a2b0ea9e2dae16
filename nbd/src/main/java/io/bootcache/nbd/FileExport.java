package io.bootcache.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/**
 * An export served straight from a local file, without the cluster: the plain baseline
 * the cluster-backed exports are measured and tested against.
 */
public final class FileExport implements NbdExport, AutoCloseable {
  private final String name;
  private final FileChannel file;
  private final long size;
  private final int blockSize;
  private final boolean writable;

  private FileExport(String name, Path path, int blockSize, boolean writable) {
    this.name = name;
    this.blockSize = blockSize;
    this.writable = writable;
    try {
      this.file = writable
          ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
          : FileChannel.open(path, StandardOpenOption.READ);
      this.size = file.size();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open " + path, e);
    }
  }

  public static FileExport readOnly(String name, Path path) {
    return new FileExport(name, path, 4096, false);
  }

  public static FileExport writable(String name, Path path) {
    return new FileExport(name, path, 4096, true);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public boolean writable() {
    return writable;
  }

  @Override
  public ExportConnection connect(String peer) {
    return new ExportConnection() {
      @Override
      public CompletableFuture<ByteBuf> read(long offset, int length) {
        return CompletableFuture.supplyAsync(() -> Unpooled.wrappedBuffer(FileIo.readFully(file, offset, length)), FileIo.POOL);
      }

      @Override
      public CompletableFuture<Void> write(long offset, byte[] data, boolean fua) {
        return CompletableFuture.runAsync(() -> {
          FileIo.writeFully(file, offset, ByteBuffer.wrap(data));
          if (fua) {
            FileIo.force(file);
          }
        }, FileIo.POOL);
      }

      @Override
      public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
        return CompletableFuture.runAsync(() -> {
          FileIo.writeZeroes(file, offset, length);
          if (fua) {
            FileIo.force(file);
          }
        }, FileIo.POOL);
      }

      @Override
      public CompletableFuture<Void> flush() {
        return CompletableFuture.runAsync(() -> FileIo.force(file), FileIo.POOL);
      }

      @Override
      public void close() {
      }
    };
  }

  @Override
  public void close() throws IOException {
    file.close();
  }
}
