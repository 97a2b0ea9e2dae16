package io.bootcache.nbd;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A minimal NBD client over a plain socket for tests that must send what real clients never do
 * (bad magic, truncated requests, unknown options) and see the exact replies.
 */
public final class RawNbdClient implements AutoCloseable {
  public final Socket socket;
  public final DataInputStream in;
  public final DataOutputStream out;
  public int handshakeFlags;

  /** A reply to an option: its type and data. */
  public record OptionReply(int option, int type, byte[] data) {}

  /** A simple reply. */
  public record SimpleReply(int error, long handle, byte[] data) {}

  public RawNbdClient(int port) throws IOException {
    this(new Socket("127.0.0.1", port));
  }

  public RawNbdClient(Socket socket) throws IOException {
    this.socket = socket;
    socket.setSoTimeout(60_000);
    in = new DataInputStream(socket.getInputStream());
    out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
  }

  /** Reads the greeting and answers it with fixed newstyle and no zeroes. */
  public RawNbdClient greet() throws IOException {
    assertEquals(Nbd.NBDMAGIC, in.readLong(), "NBDMAGIC");
    assertEquals(Nbd.IHAVEOPT, in.readLong(), "IHAVEOPT");
    handshakeFlags = in.readUnsignedShort();
    out.writeInt(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES);
    out.flush();
    return this;
  }

  public void sendOption(int option, byte[] data) throws IOException {
    out.writeLong(Nbd.IHAVEOPT);
    out.writeInt(option);
    out.writeInt(data.length);
    out.write(data);
    out.flush();
  }

  public OptionReply readOptionReply() throws IOException {
    assertEquals(Nbd.OPTION_REPLY_MAGIC, in.readLong(), "option reply magic");
    int option = in.readInt();
    int type = in.readInt();
    int length = in.readInt();
    byte[] data = in.readNBytes(length);
    return new OptionReply(option, type, data);
  }

  public static byte[] goData(String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + n.length + 2);
    b.putInt(n.length).put(n).putShort((short) 0);
    return b.array();
  }

  /** NBD_OPT_GO for the export; returns its size and flags (as {size, flags}). */
  public long[] go(String name) throws IOException {
    sendOption(Nbd.OPT_GO, goData(name));
    long size = -1;
    long flags = -1;
    while (true) {
      OptionReply r = readOptionReply();
      if (r.type() == Nbd.REP_ACK) {
        return new long[] {size, flags};
      }
      if (r.type() != Nbd.REP_INFO) {
        throw new IOException("NBD_OPT_GO failed: reply type 0x" + Integer.toHexString(r.type()) + ": "
            + new String(r.data(), StandardCharsets.UTF_8));
      }
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(r.data());
      if (b.getShort() == Nbd.INFO_EXPORT) {
        size = b.getLong();
        flags = b.getShort() & 0xffff;
      }
    }
  }

  public void request(int type, int flags, long handle, long offset, long length) throws IOException {
    request(type, flags, handle, offset, length, null);
  }

  public void request(int type, int flags, long handle, long offset, long length, byte[] payload) throws IOException {
    out.writeInt(Nbd.REQUEST_MAGIC);
    out.writeShort(flags);
    out.writeShort(type);
    out.writeLong(handle);
    out.writeLong(offset);
    out.writeInt((int) length);
    if (payload != null) {
      out.write(payload);
    }
    out.flush();
  }

  /** Reads a simple reply; {@code dataIfOk} bytes follow it when it carries no error. */
  public SimpleReply readSimpleReply(int dataIfOk) throws IOException {
    assertEquals(Nbd.SIMPLE_REPLY_MAGIC, in.readInt(), "simple reply magic");
    int error = in.readInt();
    long handle = in.readLong();
    byte[] data = error == 0 ? in.readNBytes(dataIfOk) : new byte[0];
    return new SimpleReply(error, handle, data);
  }

  /** True if the server closed the connection (end of stream or reset) within the socket timeout. */
  public boolean closedByServer() {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true; // reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
