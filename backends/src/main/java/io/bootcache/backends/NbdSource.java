package io.bootcache.backends;

import io.bootcache.nbd.client.NbdAddress;
import io.bootcache.nbd.client.NbdConnection;
import io.bootcache.nbd.client.RefusedExportException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An NBD export (nbdkit, qemu-nbd, a SAN's NBD gateway): a few connections, each with many reads in
 * flight, taken in turn. A broken or silent connection is dropped and opened afresh by the next read.
 */
final class NbdSource implements ImageSource {
  /** Servers refuse reads over 32 MiB; a long read goes as several of this size, all in flight. */
  static final int MAX_READ = 4 * 1024 * 1024;

  private final String location;
  private final NbdAddress address;
  private final SourceOptions options;
  private final NbdConnection[] connections;
  private final AtomicInteger turn = new AtomicInteger();
  private final long size;
  private volatile boolean closed;

  NbdSource(String location, SourceOptions options) throws IOException {
    this.location = location;
    this.options = options;
    try {
      this.address = NbdAddress.parse(location);
    } catch (IllegalArgumentException e) {
      throw new BadLocationException(e.getMessage(), e);
    }
    this.connections = new NbdConnection[options.connections()];
    this.size = connection(0).size();
    if (size == 0) throw new BadLocationException(location + " is an empty export");
  }

  @Override
  public String location() { return location; }

  @Override
  public long size() { return size; }

  @Override
  public void readFully(long offset, ByteBuffer dst) throws IOException {
    int length = dst.remaining();
    checkRange(offset, length);
    if (length == 0) return;
    NbdConnection c = connection(Math.floorMod(turn.getAndIncrement(), connections.length));
    List<CompletableFuture<ByteBuffer>> parts = new ArrayList<>();
    for (int at = 0; at < length; at += MAX_READ) parts.add(c.read(offset + at, Math.min(MAX_READ, length - at)));
    long deadline = System.nanoTime() + options.readTimeout().toNanos();
    try {
      for (CompletableFuture<ByteBuffer> part : parts) {
        dst.put(part.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      }
    } catch (TimeoutException e) {
      c.abort();
      throw new IOException(address + " did not answer a read of " + offset + "+" + length + " within "
          + options.readTimeout().toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new IOException("read " + offset + "+" + length + " of " + address + " failed: " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading " + address, e);
    }
  }

  /** Connection {@code i}, opened afresh if it never was or broke. */
  private NbdConnection connection(int i) throws IOException {
    synchronized (connections) {
      if (closed) throw new IOException("the source " + location + " is closed");
      NbdConnection c = connections[i];
      if (c != null && c.healthy()) return c;
      if (c != null) c.abort();
      try {
        c = NbdConnection.open(address, true, options.connectTimeout());
      } catch (RefusedExportException e) {
        throw new BadLocationException(e.getMessage(), e);
      }
      if (size != 0 && c.size() != size) {
        c.abort();
        throw new BadLocationException(address + " now has " + c.size() + " bytes, not " + size + ": the export changed");
      }
      connections[i] = c;
      return c;
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (connections) {
      closed = true;
      for (NbdConnection c : connections) {
        if (c != null) c.abort();
      }
    }
  }
}
