package io.bootcache.nbd;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * One NBD connection's view of an export. The server has already checked every request (inside the
 * export, length under the cap, export writable for writes), so an implementation only does the
 * I/O. Futures may complete on any thread and in any order; a failed future becomes an EIO reply (or
 * the error of an {@link NbdError}). {@link #read} runs on the connection's network thread: it must
 * not block, and an answer it has at hand is best returned as a completed future, which the server
 * writes at once.
 */
public interface ExportConnection extends AutoCloseable {

  /**
   * Exactly {@code length} bytes at {@code offset}, readable from the buffer's reader index. The server
   * writes the buffer to the socket and releases it, so a buffer may lend memory it holds (a cache's)
   * until its release.
   */
  CompletableFuture<ByteBuf> read(long offset, int length);

  default CompletableFuture<Void> write(long offset, byte[] data, boolean fua) {
    return CompletableFuture.failedFuture(new NbdError(Nbd.EPERM, "read-only export"));
  }

  default CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    return CompletableFuture.failedFuture(new NbdError(Nbd.EPERM, "read-only export"));
  }

  /** Every write answered before this flush is durable when it completes. */
  default CompletableFuture<Void> flush() {
    return CompletableFuture.completedFuture(null);
  }

  /** A hint that the range is no longer needed; may do nothing. */
  default CompletableFuture<Void> trim(long offset, long length) {
    return CompletableFuture.completedFuture(null);
  }

  /** The NBD connection is gone (disconnect, hard close, server shutdown). Called once, off the network threads. */
  @Override
  void close();
}
