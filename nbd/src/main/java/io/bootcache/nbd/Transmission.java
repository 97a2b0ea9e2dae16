package io.bootcache.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The transmission phase of one connection: parses requests, checks them, starts them on the
 * export without waiting, and writes each reply when its request completes, out of order. A request
 * counts against the connection's in-flight budget from when it is parsed until its reply has gone
 * to the socket; past the budget no further request is parsed (and the socket is not read), so a
 * client that never reads its replies holds a bounded amount of memory.
 */
final class Transmission {
  private static final Logger LOG = Logger.getLogger(Transmission.class.getName());
  /** Budget of a request without a data payload (flush, trim, write-zeroes). */
  private static final int SMALL_REQUEST_BYTES = 4096;

  private final NbdConnection conn;
  private final ChannelHandlerContext ctx;
  private final NbdExport export;
  private final ExportConnection target;
  private final boolean structured;
  private final Executor blocking;
  private final int maxRequestBytes;
  private final long maxInFlightBytes;
  private final int maxInFlightRequests;
  private long inFlightBytes;
  private int inFlight;
  private boolean disconnecting;
  private boolean targetClosed;
  private boolean flushNeeded;
  private boolean flushScheduled;
  private boolean resumeScheduled;
  /** A write whose header has been parsed and whose payload is still arriving. */
  private Request write;
  private long skipping;

  private record Request(int flags, long handle, long offset, long length) {}

  Transmission(NbdConnection conn, NbdExport export, ExportConnection target, boolean structured, Executor blocking) {
    this.conn = conn;
    this.ctx = conn.ctx();
    this.export = export;
    this.target = target;
    this.structured = structured;
    this.blocking = blocking;
    this.maxRequestBytes = conn.settings().maxRequestBytes();
    this.maxInFlightBytes = conn.settings().maxInFlightBytes();
    this.maxInFlightRequests = conn.settings().maxInFlightRequests();
  }

  /** True while the connection may read more: a write's payload is awaited, or the budgets have room. */
  boolean wantsInput() {
    return !disconnecting && (write != null || hasRoom());
  }

  /** Another request may be parsed: neither the byte nor the request budget is spent. */
  private boolean hasRoom() {
    return inFlightBytes < maxInFlightBytes && inFlight < maxInFlightRequests;
  }

  /** Consumes one request (or part of a write's payload) from {@code in}; false when it needs more. */
  boolean parse(ByteBuf in) {
    if (disconnecting) {
      in.skipBytes(in.readableBytes()); // after NBD_CMD_DISC nothing more is read
      return false;
    }
    if (write != null) return payload(in);
    if (!hasRoom() || in.readableBytes() < Nbd.REQUEST_HEADER_BYTES) return false;
    int magic = in.readInt();
    if (magic != Nbd.REQUEST_MAGIC) {
      LOG.info("connection from " + conn.peer() + " dropped: bad request magic 0x" + Integer.toHexString(magic));
      conn.close();
      return false;
    }
    int flags = in.readUnsignedShort();
    int type = in.readUnsignedShort();
    Request r = new Request(flags, in.readLong(), in.readLong(), in.readUnsignedInt());
    switch (type) {
      case Nbd.CMD_DISC -> disconnect();
      case Nbd.CMD_WRITE -> write = r;
      case Nbd.CMD_READ -> read(r);
      case Nbd.CMD_FLUSH -> {
        int error = !export.writable() || r.flags != 0 ? Nbd.EINVAL : 0;
        start(r, error, "FLUSH", target::flush);
      }
      case Nbd.CMD_TRIM -> {
        int error = !export.writable() ? Nbd.EPERM
            : (r.flags & ~Nbd.CMD_FLAG_FUA) != 0 ? Nbd.EINVAL : rangeError(r, Nbd.EINVAL);
        start(r, error, "TRIM", () -> target.trim(r.offset, r.length));
      }
      case Nbd.CMD_WRITE_ZEROES -> {
        int error = writeError(r.flags & ~Nbd.CMD_FLAG_NO_HOLE, r);
        start(r, error, "WRITE_ZEROES", () -> target.writeZeroes(r.offset, r.length, (r.flags & Nbd.CMD_FLAG_FUA) != 0));
      }
      default -> {
        LOG.fine("connection from " + conn.peer() + ": unsupported " + Nbd.commandName(type));
        start(r, Nbd.EINVAL, Nbd.commandName(type), null);
      }
    }
    return true;
  }

  private void read(Request r) {
    // DF (don't fragment) is allowed once structured replies are on: a read is one chunk anyway
    int allowedFlags = structured ? Nbd.CMD_FLAG_DF : 0;
    int error = (r.flags & ~allowedFlags) != 0 ? Nbd.EINVAL : rangeError(r, Nbd.EINVAL);
    if (error == 0 && r.length > maxRequestBytes) error = Nbd.EINVAL;
    if (error != 0) {
      replyError(r, error, true, 0);
      return;
    }
    int length = (int) r.length;
    charge(length);
    CompletableFuture<ByteBuf> f;
    try {
      f = target.read(r.offset, length);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((data, failure) -> onLoop(() -> {
      if (failure == null && (data == null || data.readableBytes() != length)) {
        String got = data == null ? "nothing" : data.readableBytes() + " bytes";
        if (data != null) data.release();
        replyError(r, errno(new IllegalStateException("export returned " + got + " for a read of " + length), "READ", r),
            true, length);
      } else if (failure != null) {
        replyError(r, errno(failure, "READ", r), true, length);
      } else {
        replyData(r, data, length);
      }
    }));
  }

  /** A write's payload: the whole of it, then the write starts (or is refused, the stream kept in step). */
  private boolean payload(ByteBuf in) {
    Request r = write;
    if (r.length > maxRequestBytes) {
      if (skipping == 0) skipping = r.length;
      int n = (int) Math.min(in.readableBytes(), skipping);
      in.skipBytes(n);
      skipping -= n;
      if (skipping > 0) return n > 0;
      write = null;
      replyError(r, Nbd.EINVAL, false, 0);
      return true;
    }
    if (in.readableBytes() < r.length) return false;
    write = null;
    int error = writeError(r.flags, r);
    if (error != 0) {
      in.skipBytes((int) r.length);
      replyError(r, error, false, 0);
      return true;
    }
    byte[] data = new byte[(int) r.length];
    in.readBytes(data);
    charge(data.length);
    run(r, data.length, "WRITE", () -> target.write(r.offset, data, (r.flags & Nbd.CMD_FLAG_FUA) != 0));
    return true;
  }

  /** EPERM on a read-only export, EINVAL for unknown flags or no length, ENOSPC past the end. */
  private int writeError(int flags, Request r) {
    if (!export.writable()) return Nbd.EPERM;
    if ((flags & ~Nbd.CMD_FLAG_FUA) != 0) return Nbd.EINVAL;
    return rangeError(r, Nbd.ENOSPC);
  }

  /** EINVAL for an empty request or an offset past 2^63; {@code pastEnd} if it ends after the export. */
  private int rangeError(Request r, int pastEnd) {
    if (r.length == 0 || r.offset < 0) return Nbd.EINVAL;
    return r.offset > export.size() - r.length ? pastEnd : 0;
  }

  /** Starts a request without a payload, or answers its error at once. */
  private void start(Request r, int error, String what, Supplier<CompletableFuture<Void>> op) {
    if (error != 0) {
      replyError(r, error, false, 0);
      return;
    }
    charge(SMALL_REQUEST_BYTES);
    run(r, SMALL_REQUEST_BYTES, what, op);
  }

  private void run(Request r, long charged, String what, Supplier<CompletableFuture<Void>> op) {
    CompletableFuture<Void> f;
    try {
      f = op.get();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((ignored, failure) -> onLoop(() -> {
      if (failure == null) replyDone(r, charged);
      else replyError(r, errno(failure, what, r), false, charged);
    }));
  }

  private void charge(long bytes) {
    inFlight++;
    inFlightBytes += bytes;
  }

  // ---------------------------------------------------------------- replies (on the connection's thread)

  private void replyData(Request r, ByteBuf data, int length) {
    ByteBuf header;
    if (structured) {
      header = ctx.alloc().buffer(Nbd.STRUCTURED_REPLY_HEADER_BYTES + 8);
      header.writeInt(Nbd.STRUCTURED_REPLY_MAGIC).writeShort(Nbd.REPLY_FLAG_DONE).writeShort(Nbd.REPLY_TYPE_OFFSET_DATA)
          .writeLong(r.handle).writeInt(8 + length).writeLong(r.offset);
    } else {
      header = ctx.alloc().buffer(Nbd.SIMPLE_REPLY_HEADER_BYTES);
      header.writeInt(Nbd.SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(r.handle);
    }
    ctx.write(header, ctx.voidPromise());
    ctx.write(data, answered(length));
  }

  private void replyDone(Request r, long charged) {
    ByteBuf header = ctx.alloc().buffer(Nbd.SIMPLE_REPLY_HEADER_BYTES);
    header.writeInt(Nbd.SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(r.handle);
    ctx.write(header, answered(charged));
  }

  /** An error reply; a read's is a structured error chunk when structured replies were negotiated. */
  private void replyError(Request r, int error, boolean read, long charged) {
    ByteBuf header;
    if (read && structured) {
      // an error chunk without a message: error (32 bits), message length (16 bits)
      header = ctx.alloc().buffer(Nbd.STRUCTURED_REPLY_HEADER_BYTES + 6);
      header.writeInt(Nbd.STRUCTURED_REPLY_MAGIC).writeShort(Nbd.REPLY_FLAG_DONE).writeShort(Nbd.REPLY_TYPE_ERROR)
          .writeLong(r.handle).writeInt(6).writeInt(error).writeShort(0);
    } else {
      header = ctx.alloc().buffer(Nbd.SIMPLE_REPLY_HEADER_BYTES);
      header.writeInt(Nbd.SIMPLE_REPLY_MAGIC).writeInt(error).writeLong(r.handle);
    }
    if (charged == 0) charge(0); // answered at once: still counted until written, so DISC waits for it
    ctx.write(header, answered(charged));
  }

  /** A promise that, once the reply is on the socket (or the socket is gone), frees its budget. */
  private ChannelPromise answered(long charged) {
    flushNeeded = true;
    ChannelPromise p = ctx.newPromise();
    p.addListener(f -> released(charged));
    return p;
  }

  private void released(long charged) {
    inFlight--;
    inFlightBytes -= charged;
    if (disconnecting) {
      if (inFlight == 0) conn.close();
    } else if (hasRoom() && !resumeScheduled) {
      // parse what waits in the input, later: this may run inside a write
      resumeScheduled = true;
      ctx.executor().execute(() -> {
        resumeScheduled = false;
        conn.process();
      });
    }
  }

  /** Runs on the connection's thread, at once if already there; then flushes what it wrote. */
  private void onLoop(Runnable task) {
    if (ctx.executor().inEventLoop()) {
      task.run();
      return;
    }
    ctx.executor().execute(() -> {
      task.run();
      scheduleFlush();
    });
  }

  private void scheduleFlush() {
    if (flushScheduled) return;
    flushScheduled = true;
    ctx.executor().execute(() -> {
      flushScheduled = false;
      flushIfNeeded();
    });
  }

  void flushIfNeeded() {
    if (flushNeeded) {
      flushNeeded = false;
      ctx.flush();
    }
  }

  // ---------------------------------------------------------------- the end

  /** NBD_CMD_DISC: what is in flight is answered, then the connection closes. */
  private void disconnect() {
    disconnecting = true;
    if (inFlight == 0) {
      conn.close();
      return;
    }
    flushIfNeeded();
    ctx.executor().schedule(conn::close, conn.settings().drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The socket is gone: the export connection is closed off the network thread, once. */
  void connectionClosed() {
    if (targetClosed) return;
    targetClosed = true;
    blocking.execute(target::close);
  }

  private int errno(Throwable failure, String what, Request r) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof NbdError e) return e.errno();
    LOG.warning("connection from " + conn.peer() + ": " + what + " at " + r.offset + "+" + r.length + " failed: " + cause);
    return Nbd.EIO;
  }
}
