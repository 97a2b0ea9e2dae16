package io.bootcache.nbd.client;

import static io.bootcache.nbd.Nbd.CMD_DISC;
import static io.bootcache.nbd.Nbd.CMD_FLAG_DF;
import static io.bootcache.nbd.Nbd.CMD_READ;
import static io.bootcache.nbd.Nbd.FLAG_SEND_DF;
import static io.bootcache.nbd.Nbd.REPLY_FLAG_DONE;
import static io.bootcache.nbd.Nbd.REPLY_TYPE_OFFSET_DATA;
import static io.bootcache.nbd.Nbd.REQUEST_MAGIC;
import static io.bootcache.nbd.Nbd.SIMPLE_REPLY_MAGIC;
import static io.bootcache.nbd.Nbd.STRUCTURED_REPLY_MAGIC;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One NBD connection, negotiated, for reads: any number in flight, each sent as it is asked for and
 * completed by a reader thread that matches the server's replies (simple or structured, in any
 * order) to requests by handle.
 */
public final class NbdConnection implements AutoCloseable {
  private static final int CHUNK_NONE = 0;
  private static final int CHUNK_OFFSET_HOLE = 2;
  private static final int CHUNK_ERROR_BIT = 1 << 15;
  private static final long CLOSE_WAIT_MILLIS = 5_000;
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final NbdAddress address;
  private final SocketChannel channel;
  private final ChannelInput in;
  private final NbdNegotiation.Export export;
  private final short readFlags;
  private final ByteBuffer request = ByteBuffer.allocateDirect(28);
  private final AtomicLong handles = new AtomicLong();
  private final Map<Long, PendingRead> pending = new ConcurrentHashMap<>(256);
  private final Thread reader;
  private volatile IOException broken;

  private NbdConnection(NbdAddress address, SocketChannel channel, ChannelInput in, NbdNegotiation.Export export) {
    this.address = address;
    this.channel = channel;
    this.in = in;
    this.export = export;
    // "don't fragment": one data chunk per read, where the server offers it
    this.readFlags = export.structuredReplies() && (export.flags() & FLAG_SEND_DF) != 0 ? (short) CMD_FLAG_DF : 0;
    this.reader = new Thread(this::readReplies, "nbd-replies " + address);
    reader.setDaemon(true);
  }

  /** Connects and negotiates; {@code structuredReplies}: ask for them (the server may decline). */
  public static NbdConnection open(NbdAddress address, boolean structuredReplies) throws IOException {
    return open(address, structuredReplies, DEFAULT_TIMEOUT);
  }

  /**
   * As {@link #open(NbdAddress, boolean)}, giving up when connecting and negotiating take longer than
   * {@code timeout}: a server that accepts and then says nothing must not hold the caller.
   */
  public static NbdConnection open(NbdAddress address, boolean structuredReplies, Duration timeout) throws IOException {
    SocketChannel channel = address.connect(timeout);
    AtomicBoolean negotiated = new AtomicBoolean();
    CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      if (negotiated.compareAndSet(false, true)) closeQuietly(channel);
    });
    try {
      ChannelInput in = new ChannelInput(channel);
      NbdNegotiation.Export export = new NbdNegotiation(in, channel).negotiate(address.export(), structuredReplies);
      if (!negotiated.compareAndSet(false, true)) throw new IOException("timed out");
      NbdConnection connection = new NbdConnection(address, channel, in, export);
      connection.reader.start();
      return connection;
    } catch (IOException | RuntimeException e) {
      channel.close();
      if (negotiated.get() && !(e instanceof RefusedExportException)) {
        throw new IOException("no NBD handshake from " + address + " within " + timeout.toMillis() + " ms", e);
      }
      throw e;
    }
  }

  /** False once the connection broke: every read on it fails, and it should be replaced. */
  public boolean healthy() {
    return broken == null && channel.isOpen();
  }

  /** Hangs up at once, without a goodbye: reads in flight fail. For a server that stopped answering. */
  public void abort() {
    closeQuietly(channel);
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // hanging up on a dead server: nothing to tell it
    }
  }

  public long size() { return export.size(); }

  public boolean structuredReplies() { return export.structuredReplies(); }

  /** Reads {@code length} bytes at {@code offset}; completes with a buffer of exactly those bytes. */
  public CompletableFuture<ByteBuffer> read(long offset, int length) {
    if (offset < 0 || length <= 0 || offset + length > export.size()) {
      throw new IllegalArgumentException("read " + offset + "+" + length + " outside the export of " + export.size() + " bytes");
    }
    long handle = handles.incrementAndGet();
    PendingRead read = new PendingRead(offset, ByteBuffer.allocate(length));
    pending.put(handle, read);
    try {
      if (broken != null) throw broken;
      send((short) CMD_READ, readFlags, handle, offset, length);
    } catch (IOException e) {
      pending.remove(handle);
      read.future.completeExceptionally(e);
    }
    return read.future;
  }

  /**
   * Says goodbye ({@code NBD_CMD_DISC}): the server answers what is in flight, then hangs up. Reads
   * still unanswered after a few seconds fail.
   */
  @Override
  public void close() throws IOException {
    try {
      if (broken == null) send((short) CMD_DISC, (short) 0, handles.incrementAndGet(), 0, 0);
      reader.join(CLOSE_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // the server left first: nothing more to say to it
    } finally {
      channel.close();
    }
  }

  private void send(short type, short flags, long handle, long offset, int length) throws IOException {
    synchronized (request) {
      request.clear().putInt(REQUEST_MAGIC).putShort(flags).putShort(type).putLong(handle).putLong(offset).putInt(length).flip();
      while (request.hasRemaining()) channel.write(request);
    }
  }

  private void readReplies() {
    try {
      while (true) {
        int magic = in.readInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
          simpleReply();
        } else if (magic == STRUCTURED_REPLY_MAGIC) {
          structuredChunk();
        } else {
          throw new IOException("bad reply magic 0x" + Integer.toHexString(magic) + " from " + address);
        }
      }
    } catch (IOException e) {
      broken = e;
    } catch (RuntimeException e) {
      broken = new IOException("cannot read the replies of " + address + ": " + e, e);
    }
    IOException cause = broken;
    pending.values().forEach(p -> p.future.completeExceptionally(cause));
    pending.clear();
  }

  private void simpleReply() throws IOException {
    int error = in.readInt();
    PendingRead read = answered(in.readLong(), true);
    if (error != 0) {
      read.future.completeExceptionally(serverError(read, error, ""));
      return;
    }
    in.readFully(read.data);
    read.data.flip();
    read.future.complete(read.data);
  }

  private void structuredChunk() throws IOException {
    int flags = in.readShort() & 0xffff;
    int type = in.readShort() & 0xffff;
    long handle = in.readLong();
    long length = in.readInt() & 0xffffffffL;
    boolean done = (flags & REPLY_FLAG_DONE) != 0;
    PendingRead read = answered(handle, done);
    if (type == REPLY_TYPE_OFFSET_DATA) {
      long at = in.readLong() - read.offset;
      long bytes = length - 8;
      if (at < 0 || at + bytes > read.data.capacity()) throw new IOException("data chunk outside read " + read + " from " + address);
      in.readFully(read.data.duplicate().limit((int) (at + bytes)).position((int) at));
      read.received += bytes;
    } else if (type == CHUNK_OFFSET_HOLE) {
      long at = in.readLong() - read.offset;
      long bytes = in.readInt() & 0xffffffffL;
      if (at < 0 || at + bytes > read.data.capacity()) throw new IOException("hole chunk outside read " + read + " from " + address);
      // the buffer is fresh, so a hole is already zeros
      read.received += bytes;
    } else if ((type & CHUNK_ERROR_BIT) != 0) {
      int error = in.readInt();
      int messageLength = in.readShort() & 0xffff;
      ByteBuffer message = ByteBuffer.allocate(messageLength);
      in.readFully(message);
      in.skip(length - 6 - messageLength);
      read.error = serverError(read, error, new String(message.array(), StandardCharsets.UTF_8));
    } else if (type != CHUNK_NONE) {
      in.skip(length);
    }
    if (!done) return;
    if (read.error != null) {
      read.future.completeExceptionally(read.error);
    } else if (read.received != read.data.capacity()) {
      read.future.completeExceptionally(new IOException("the server answered " + read.received + " of the "
          + read.data.capacity() + " bytes of read " + read));
    } else {
      read.future.complete(read.data);
    }
  }

  private PendingRead answered(long handle, boolean last) throws IOException {
    PendingRead read = last ? pending.remove(handle) : pending.get(handle);
    if (read == null) throw new IOException("a reply for unknown handle " + handle + " from " + address);
    return read;
  }

  private static IOException serverError(PendingRead read, int errno, String message) {
    return new IOException("the server answered error " + errno + " to read " + read + (message.isEmpty() ? "" : ": " + message));
  }

  /** A read waiting for its reply; its fields are touched by the reader thread only. */
  private static final class PendingRead {
    final long offset;
    final ByteBuffer data;
    final CompletableFuture<ByteBuffer> future = new CompletableFuture<>();
    long received;
    IOException error;

    PendingRead(long offset, ByteBuffer data) {
      this.offset = offset;
      this.data = data;
    }

    @Override
    public String toString() {
      return offset + "+" + data.capacity();
    }
  }
}
