package io.bootcache.client.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One NBD client connection: the handshake, then the transmission phase. This thread reads
 * requests and starts them without waiting for them; {@link ReplyWriter} sends each reply
 * when its request completes. Anything the client does wrong costs at most this connection.
 */
final class NbdConnection implements Runnable {
    private static final Logger LOG = Logger.getLogger(NbdConnection.class.getName());

    /** Budget for a request without a data payload (flush, trim, write-zeroes). */
    private static final int SMALL_REQUEST_PERMITS = 4096;

    private final long id;
    private final SocketChannel channel;
    private final ExportCatalog catalog;
    private final NbdServer.Settings settings;
    private final ScheduledExecutorService handshakeTimer;
    private final Consumer<NbdConnection> onClosed;
    private final String peer;
    private final int inFlightBudget;
    private final Semaphore inFlight;

    NbdConnection(long id, SocketChannel channel, ExportCatalog catalog, NbdServer.Settings settings,
                  ScheduledExecutorService handshakeTimer, Consumer<NbdConnection> onClosed) {
        this.id = id;
        this.channel = channel;
        this.catalog = catalog;
        this.settings = settings;
        this.handshakeTimer = handshakeTimer;
        this.onClosed = onClosed;
        this.peer = peerOf(channel);
        this.inFlightBudget = (int) Math.min(Integer.MAX_VALUE, settings.maxInFlightBytes());
        this.inFlight = new Semaphore(inFlightBudget);
    }

    long id() {
        return id;
    }

    /** Hard disconnect (server shutdown). */
    void abort() {
        closeSocket();
    }

    @Override
    public void run() {
        try {
            if (channel.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY)) {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            // a blocking channel has no read timeout: a client too slow to negotiate is hung up on
            ScheduledFuture<?> handshakeDeadline = handshakeTimer.schedule(this::closeSocket,
                    settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
            DataInputStream in = new DataInputStream(new BufferedInputStream(ChannelStreams.in(channel), 256 * 1024));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(ChannelStreams.out(channel), 256 * 1024));
            Optional<NbdHandshake.Negotiated> chosen = new NbdHandshake(in, out, catalog, settings).negotiate();
            handshakeDeadline.cancel(false);
            if (chosen.isPresent()) {
                LOG.fine("connection " + id + " from " + peer + " serves "
                        + chosen.get().export().name());
                transmit(chosen.get(), in, out);
            }
        } catch (NbdHandshake.ProtocolViolation e) {
            LOG.info("connection " + id + " from " + peer + " dropped: " + e.getMessage());
        } catch (IOException e) {
            LOG.fine("connection " + id + " from " + peer + " ended: " + e);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "connection " + id + " from " + peer + " failed", e);
        } finally {
            closeSocket();
            onClosed.accept(this);
        }
    }

    private void transmit(NbdHandshake.Negotiated chosen, DataInputStream in, DataOutputStream out) throws IOException {
        NbdExport export = chosen.export();
        ExportConnection target = export.connect(peer);
        ReplyWriter writer = new ReplyWriter(out, inFlight, this::closeSocket);
        Thread writerThread = new Thread(writer, "nbd-reply-" + id);
        writerThread.setDaemon(true);
        writerThread.start();
        try {
            new RequestLoop(export, chosen.structuredReplies(), target, writer, in).run();
        } finally {
            // Answer what is still in flight (DISC asks for that; after a hard close it is harmless), then close.
            try {
                if (inFlight.tryAcquire(inFlightBudget, settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    inFlight.release(inFlightBudget);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            writer.finish();
            try {
                writerThread.join(settings.drainTimeout().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            target.close();
        }
    }

    /** Reads and dispatches requests until NBD_CMD_DISC, end of stream, or a protocol violation. */
    private final class RequestLoop {
        private final NbdExport export;
        private final boolean structured;
        private final ExportConnection target;
        private final ReplyWriter writer;
        private final DataInputStream in;
        private final byte[] header = new byte[Nbd.REQUEST_HEADER_BYTES];

        RequestLoop(NbdExport export, boolean structured, ExportConnection target, ReplyWriter writer,
                    DataInputStream in) {
            this.export = export;
            this.structured = structured;
            this.target = target;
            this.writer = writer;
            this.in = in;
        }

        void run() throws IOException {
            while (true) {
                int n = in.readNBytes(header, 0, header.length);
                if (n == 0) {
                    return; // the client left between requests
                }
                if (n < header.length) {
                    throw new EOFException("truncated request header (" + n + " of " + header.length + " bytes)");
                }
                ByteBuffer h = ByteBuffer.wrap(header);
                int magic = h.getInt();
                if (magic != Nbd.REQUEST_MAGIC) {
                    throw new NbdHandshake.ProtocolViolation("bad request magic 0x" + Integer.toHexString(magic));
                }
                int flags = h.getShort() & 0xffff;
                int type = h.getShort() & 0xffff;
                long handle = h.getLong();
                long offset = h.getLong();          // unsigned on the wire: negative here means >= 2^63
                long length = h.getInt() & 0xffffffffL;

                if (type == Nbd.CMD_DISC) {
                    return;
                }
                if (type == Nbd.CMD_WRITE) {
                    write(flags, handle, offset, length);
                } else {
                    dispatch(flags, type, handle, offset, length);
                }
            }
        }

        private void write(int flags, long handle, long offset, long length) throws IOException {
            if (length > settings.maxRequestBytes()) {
                in.skipNBytes(length); // keep the stream in step, then refuse
                reply(handle, Nbd.EINVAL, 0);
                return;
            }
            int permits = (int) Math.max(1, length);
            acquire(permits);
            byte[] data = new byte[(int) length];
            try {
                in.readFully(data);
            } catch (IOException e) {
                inFlight.release(permits);
                throw e; // the client left mid-request
            }
            int error = writeError(flags, offset, length);
            if (error != 0) {
                reply(handle, error, permits);
                return;
            }
            start(handle, permits, "WRITE", offset, length,
                    () -> target.write(offset, data, (flags & Nbd.CMD_FLAG_FUA) != 0));
        }

        private void dispatch(int flags, int type, long handle, long offset, long length) {
            switch (type) {
                case Nbd.CMD_READ -> {
                    // DF (don't fragment) is allowed once structured replies are on: a read is one chunk anyway.
                    int allowedFlags = structured ? Nbd.CMD_FLAG_DF : 0;
                    int error = (flags & ~allowedFlags) != 0 ? Nbd.EINVAL : rangeError(offset, length, Nbd.EINVAL);
                    if (error == 0 && length > settings.maxRequestBytes()) {
                        error = Nbd.EINVAL;
                    }
                    if (error != 0) {
                        writer.send(new ReplyWriter.Reply(handle, error, null, 0, structured, offset));
                        return;
                    }
                    int len = (int) length;
                    acquire(len);
                    startRead(handle, len, offset);
                }
                case Nbd.CMD_FLUSH -> {
                    int error = !export.writable() ? Nbd.EINVAL : flags != 0 ? Nbd.EINVAL : 0;
                    if (error != 0) {
                        reply(handle, error, 0);
                        return;
                    }
                    acquire(SMALL_REQUEST_PERMITS);
                    start(handle, SMALL_REQUEST_PERMITS, "FLUSH", 0, 0, target::flush);
                }
                case Nbd.CMD_TRIM -> {
                    int error = !export.writable() ? Nbd.EPERM
                            : (flags & ~Nbd.CMD_FLAG_FUA) != 0 ? Nbd.EINVAL
                            : rangeError(offset, length, Nbd.EINVAL);
                    if (error != 0) {
                        reply(handle, error, 0);
                        return;
                    }
                    acquire(SMALL_REQUEST_PERMITS);
                    start(handle, SMALL_REQUEST_PERMITS, "TRIM", offset, length, () -> target.trim(offset, length));
                }
                case Nbd.CMD_WRITE_ZEROES -> {
                    int error = writeError(flags & ~Nbd.CMD_FLAG_NO_HOLE, offset, length);
                    if (error != 0) {
                        reply(handle, error, 0);
                        return;
                    }
                    acquire(SMALL_REQUEST_PERMITS);
                    start(handle, SMALL_REQUEST_PERMITS, "WRITE_ZEROES", offset, length,
                            () -> target.writeZeroes(offset, length, (flags & Nbd.CMD_FLAG_FUA) != 0));
                }
                default -> {
                    LOG.fine("connection " + id + ": unsupported " + Nbd.commandName(type));
                    reply(handle, Nbd.EINVAL, 0);
                }
            }
        }

        /** EPERM on a read-only export, EINVAL for unknown flags or no length, ENOSPC past the end. */
        private int writeError(int flags, long offset, long length) {
            if (!export.writable()) {
                return Nbd.EPERM;
            }
            if ((flags & ~Nbd.CMD_FLAG_FUA) != 0) {
                return Nbd.EINVAL;
            }
            return rangeError(offset, length, Nbd.ENOSPC);
        }

        /** EINVAL for an empty request or a negative offset; {@code pastEnd} if it ends after the export. */
        private int rangeError(long offset, long length, int pastEnd) {
            if (length == 0 || offset < 0) {
                return Nbd.EINVAL;
            }
            return offset > export.size() - length ? pastEnd : 0;
        }

        private void startRead(long handle, int length, long offset) {
            CompletableFuture<ByteBuffer> f;
            try {
                f = target.read(offset, length);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((data, failure) -> {
                if (failure == null && (data == null || data.remaining() != length)) {
                    failure = new IOException("export returned " + (data == null ? "nothing" : data.remaining() + " bytes")
                            + " for a read of " + length);
                }
                if (failure != null) {
                    writer.send(new ReplyWriter.Reply(handle, errno(failure, "READ", offset, length), null, length,
                            structured, offset));
                } else {
                    writer.send(new ReplyWriter.Reply(handle, 0, data, length, structured, offset));
                }
            });
        }

        private void start(long handle, int permits, String what, long offset, long length,
                           Supplier<CompletableFuture<Void>> op) {
            CompletableFuture<Void> f;
            try {
                f = op.get();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((ignored, failure) -> writer.send(
                    ReplyWriter.Reply.simple(handle, failure == null ? 0 : errno(failure, what, offset, length), permits)));
        }

        private void reply(long handle, int error, int permits) {
            writer.send(ReplyWriter.Reply.simple(handle, error, permits));
        }

        private void acquire(int permits) {
            inFlight.acquireUninterruptibly(permits);
        }
    }

    private int errno(Throwable failure, String what, long offset, long length) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof NbdError e) {
            return e.errno();
        }
        LOG.warning("connection " + id + ": " + what + " at " + offset + "+" + length
                + " failed: " + cause);
        return Nbd.EIO;
    }

    private void closeSocket() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private static String peerOf(SocketChannel channel) {
        try {
            if (channel.getRemoteAddress() instanceof InetSocketAddress a) {
                return a.getAddress().getHostAddress() + ":" + a.getPort();
            }
            return "local socket";
        } catch (IOException e) {
            return "closed socket";
        }
    }
}
