package io.bootcache.nbd.client;

import static io.bootcache.nbd.Nbd.FLAG_FIXED_NEWSTYLE;
import static io.bootcache.nbd.Nbd.FLAG_NO_ZEROES;
import static io.bootcache.nbd.Nbd.IHAVEOPT;
import static io.bootcache.nbd.Nbd.INFO_EXPORT;
import static io.bootcache.nbd.Nbd.NBDMAGIC;
import static io.bootcache.nbd.Nbd.OPTION_REPLY_MAGIC;
import static io.bootcache.nbd.Nbd.OPT_GO;
import static io.bootcache.nbd.Nbd.OPT_STRUCTURED_REPLY;
import static io.bootcache.nbd.Nbd.REP_ACK;
import static io.bootcache.nbd.Nbd.REP_INFO;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * The client's side of the NBD fixed newstyle negotiation: the greeting, structured replies if
 * asked for and offered, then {@code NBD_OPT_GO} for one export. Numbers as in the NBD protocol
 * specification; everything on the wire is big-endian.
 */
final class NbdNegotiation {
  private static final long OLDSTYLE_MAGIC = 0x00420281861253L;
  private static final int REPLY_ERROR_BIT = 1 << 31;
  private static final int MAX_REPLY_BYTES = 64 * 1024;

  /** The chosen export: its size, its transmission flags, and whether reads get structured replies. */
  record Export(long size, int flags, boolean structuredReplies) {}

  private final ChannelInput in;
  private final WritableByteChannel out;

  NbdNegotiation(ChannelInput in, WritableByteChannel out) {
    this.in = in;
    this.out = out;
  }

  Export negotiate(String exportName, boolean askStructuredReplies) throws IOException {
    if (in.readLong() != NBDMAGIC) throw new IOException("not an NBD server: no NBDMAGIC greeting");
    long style = in.readLong();
    if (style == OLDSTYLE_MAGIC) throw new IOException("the server speaks the oldstyle handshake; only fixed newstyle is supported");
    if (style != IHAVEOPT) throw new IOException("not an NBD server: bad greeting 0x" + Long.toHexString(style));
    int serverFlags = in.readShort() & 0xffff;
    if ((serverFlags & FLAG_FIXED_NEWSTYLE) == 0) throw new IOException("the server does not offer fixed newstyle negotiation");
    // the client flags echo the two the server offered: fixed newstyle and no zeroes
    write(ByteBuffer.allocate(4).putInt(serverFlags & (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)));

    boolean structured = askStructuredReplies && structuredReplies();
    return go(exportName, structured);
  }

  private boolean structuredReplies() throws IOException {
    sendOption(OPT_STRUCTURED_REPLY, new byte[0]);
    Reply reply = reply(OPT_STRUCTURED_REPLY);
    return reply.type() == REP_ACK;
  }

  private Export go(String exportName, boolean structured) throws IOException {
    byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
    // the name, then no information requests: NBD_INFO_EXPORT comes anyway
    ByteBuffer data = ByteBuffer.allocate(4 + name.length + 2).putInt(name.length).put(name).putShort((short) 0);
    sendOption(OPT_GO, data.array());
    Export export = null;
    while (true) {
      Reply reply = reply(OPT_GO);
      if (reply.type() == REP_ACK) break;
      if ((reply.type() & REPLY_ERROR_BIT) != 0) {
        throw new RefusedExportException("the server refused export '" + exportName + "': " + errorName(reply.type())
            + (reply.data().length > 0 ? ": " + new String(reply.data(), StandardCharsets.UTF_8) : ""));
      }
      ByteBuffer info = ByteBuffer.wrap(reply.data());
      if (reply.type() == REP_INFO && info.remaining() >= 12 && info.getShort() == INFO_EXPORT) {
        export = new Export(info.getLong(), info.getShort() & 0xffff, structured);
      }
    }
    if (export == null) throw new IOException("the server accepted export '" + exportName + "' without saying its size");
    return export;
  }

  private void sendOption(int option, byte[] data) throws IOException {
    write(ByteBuffer.allocate(16 + data.length).putLong(IHAVEOPT).putInt(option).putInt(data.length).put(data));
  }

  private record Reply(int type, byte[] data) {}

  private Reply reply(int option) throws IOException {
    if (in.readLong() != OPTION_REPLY_MAGIC) throw new IOException("bad option reply magic from the server");
    int answered = in.readInt();
    int type = in.readInt();
    int length = in.readInt();
    if (answered != option) throw new IOException("the server answered option " + answered + " to option " + option);
    if (length < 0 || length > MAX_REPLY_BYTES) throw new IOException("option reply of " + (length & 0xffffffffL) + " bytes");
    ByteBuffer data = ByteBuffer.allocate(length);
    in.readFully(data);
    return new Reply(type, data.array());
  }

  private void write(ByteBuffer buffer) throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) out.write(buffer);
  }

  private static String errorName(int type) {
    return switch (type & ~REPLY_ERROR_BIT) {
      case 1 -> "NBD_REP_ERR_UNSUP";
      case 2 -> "NBD_REP_ERR_POLICY";
      case 3 -> "NBD_REP_ERR_INVALID";
      case 5 -> "NBD_REP_ERR_TLS_REQD";
      case 6 -> "NBD_REP_ERR_UNKNOWN (no such export)";
      case 7 -> "NBD_REP_ERR_SHUTDOWN";
      default -> "option error 0x" + Integer.toHexString(type);
    };
  }
}
