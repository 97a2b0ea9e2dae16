package io.bootcache.client.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One NBD connection's view of an export. The NBD connection has already checked every
 * request (inside the export, length under the cap, export writable for writes), so an
 * implementation only does the I/O. Futures may complete on any thread and in any order;
 * a failed future becomes an EIO reply (or the error of an {@link NbdError}).
 */
public interface ExportConnection extends AutoCloseable {

    /** Exactly {@code length} bytes at {@code offset}; the buffer's position..limit is the data. */
    CompletableFuture<ByteBuffer> read(long offset, int length);

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

    /** The NBD connection is gone (disconnect, hard close, server shutdown). Called once. */
    @Override
    void close();
}
