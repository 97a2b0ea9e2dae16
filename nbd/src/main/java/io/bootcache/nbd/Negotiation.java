package io.bootcache.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Logger;

/**
 * The fixed newstyle negotiation of one connection: greets, then answers options one at a time
 * until the client picks an export (NBD_OPT_GO or NBD_OPT_EXPORT_NAME), aborts, or breaks a rule of
 * the protocol, which ends the connection. Option data is capped; a larger option is skipped as it
 * arrives, never buffered.
 */
final class Negotiation {
  private static final Logger LOG = Logger.getLogger(Negotiation.class.getName());
  /** Options carry at most an export name (4096 bytes) and a few info requests. */
  static final int MAX_OPTION_BYTES = 16 * 1024;

  private enum State { CLIENT_FLAGS, OPTION_HEADER, OPTION_DATA, SKIPPING }

  private final NbdConnection conn;
  private State state = State.CLIENT_FLAGS;
  private boolean noZeroes;
  private boolean structuredReplies;
  private int option;
  private long optionLength;

  Negotiation(NbdConnection conn) {
    this.conn = conn;
  }

  void greet() {
    ByteBuf b = conn.ctx().alloc().buffer(18);
    b.writeLong(Nbd.NBDMAGIC).writeLong(Nbd.IHAVEOPT).writeShort(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
    conn.ctx().writeAndFlush(b);
  }

  /** Consumes what it can of {@code in}; false when it needs more bytes. */
  boolean parse(ByteBuf in) {
    switch (state) {
      case CLIENT_FLAGS -> {
        if (in.readableBytes() < 4) return false;
        int flags = in.readInt();
        if ((flags & ~(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES)) != 0) {
          return violation("unknown client flags 0x" + Integer.toHexString(flags));
        }
        noZeroes = (flags & Nbd.FLAG_C_NO_ZEROES) != 0;
        state = State.OPTION_HEADER;
      }
      case OPTION_HEADER -> {
        if (in.readableBytes() < 16) return false;
        long magic = in.readLong();
        if (magic != Nbd.IHAVEOPT) return violation("bad option magic 0x" + Long.toHexString(magic));
        option = in.readInt();
        optionLength = in.readUnsignedInt();
        if (optionLength > MAX_OPTION_BYTES) {
          if (option == Nbd.OPT_EXPORT_NAME) return violation("export name of " + optionLength + " bytes");
          state = State.SKIPPING;
        } else if (optionLength == 0) {
          answer(new byte[0]); // nothing more to wait for
        } else {
          state = State.OPTION_DATA;
        }
      }
      case SKIPPING -> {
        int n = (int) Math.min(in.readableBytes(), optionLength);
        in.skipBytes(n);
        optionLength -= n;
        if (optionLength > 0) return n > 0;
        state = State.OPTION_HEADER;
        reply(Nbd.REP_ERR_TOO_BIG, "option data over " + MAX_OPTION_BYTES + " bytes is too big");
      }
      case OPTION_DATA -> {
        if (in.readableBytes() < optionLength) return false;
        byte[] data = new byte[(int) optionLength];
        in.readBytes(data);
        state = State.OPTION_HEADER;
        answer(data);
      }
    }
    return true;
  }

  private void answer(byte[] data) {
    if (conn.tlsRequired() && option != Nbd.OPT_STARTTLS && option != Nbd.OPT_ABORT) {
      // NBD_OPT_EXPORT_NAME cannot carry an error: the specification says hang up
      if (option == Nbd.OPT_EXPORT_NAME) violation("NBD_OPT_EXPORT_NAME before TLS, which this server requires");
      else reply(Nbd.REP_ERR_TLS_REQD, "this server requires TLS: NBD_OPT_STARTTLS first");
      return;
    }
    switch (option) {
      case Nbd.OPT_EXPORT_NAME -> {
        String name = new String(data, StandardCharsets.UTF_8);
        conn.offload(() -> conn.catalog().find(name), found -> {
          // NBD_OPT_EXPORT_NAME cannot answer an error: the specification says hang up
          if (found.isEmpty()) violation("unknown export '" + name + "' in NBD_OPT_EXPORT_NAME");
          else open(found.get(), true);
        }, this::failed);
      }
      case Nbd.OPT_ABORT -> {
        reply(Nbd.REP_ACK, null);
        conn.close();
      }
      case Nbd.OPT_LIST -> {
        if (data.length != 0) {
          reply(Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
          return;
        }
        conn.offload(() -> conn.catalog().list(), this::list, this::failed);
      }
      case Nbd.OPT_INFO, Nbd.OPT_GO -> info(data);
      case Nbd.OPT_STARTTLS -> startTls(data);
      case Nbd.OPT_STRUCTURED_REPLY -> {
        if (data.length != 0) {
          reply(Nbd.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
        } else {
          structuredReplies = true;
          reply(Nbd.REP_ACK, null);
        }
      }
      default -> reply(Nbd.REP_ERR_UNSUP, "option " + option + " is not supported");
    }
  }

  private void startTls(byte[] data) {
    if (data.length != 0) {
      reply(Nbd.REP_ERR_INVALID, "NBD_OPT_STARTTLS takes no data");
    } else if (!conn.offersTls()) {
      reply(Nbd.REP_ERR_UNSUP, "TLS is not offered on this connection");
    } else if (!conn.tlsRequired()) {
      reply(Nbd.REP_ERR_INVALID, "TLS is on already");
    } else {
      reply(Nbd.REP_ACK, null);
      conn.startTls();
    }
  }

  private void list(List<NbdExport> exports) {
    ChannelHandlerContext ctx = conn.ctx();
    for (NbdExport e : exports) {
      byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
      byte[] description = e.description().getBytes(StandardCharsets.UTF_8);
      ByteBuf b = replyHeader(Nbd.REP_SERVER, 4 + name.length + description.length);
      b.writeInt(name.length).writeBytes(name).writeBytes(description);
      ctx.write(b);
    }
    reply(Nbd.REP_ACK, null);
  }

  /** NBD_OPT_INFO and NBD_OPT_GO: u32 name length, name, u16 number of info requests, u16 each. */
  private void info(byte[] data) {
    ByteBuf buf = Unpooled.wrappedBuffer(data);
    if (buf.readableBytes() < 4) {
      reply(Nbd.REP_ERR_INVALID, "option data too short");
      return;
    }
    long nameLength = buf.readUnsignedInt();
    if (nameLength > buf.readableBytes() - 2) {
      reply(Nbd.REP_ERR_INVALID, "export name length does not fit the option");
      return;
    }
    byte[] nameBytes = new byte[(int) nameLength];
    buf.readBytes(nameBytes);
    int requests = buf.readUnsignedShort();
    if (buf.readableBytes() != requests * 2) {
      reply(Nbd.REP_ERR_INVALID, "information request count does not match the option length");
      return;
    }
    boolean wantsName = false;
    boolean wantsDescription = false;
    for (int i = 0; i < requests; i++) {
      int type = buf.readUnsignedShort();
      wantsName |= type == Nbd.INFO_NAME;
      wantsDescription |= type == Nbd.INFO_DESCRIPTION;
    }
    String name = new String(nameBytes, StandardCharsets.UTF_8);
    boolean go = option == Nbd.OPT_GO;
    boolean sendName = wantsName;
    boolean sendDescription = wantsDescription;
    conn.offload(() -> conn.catalog().find(name), found -> {
      if (found.isEmpty()) {
        reply(Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
        return;
      }
      describe(found.get(), nameBytes, sendName, sendDescription);
      if (go) open(found.get(), false);
    }, this::failed);
  }

  private void describe(NbdExport export, byte[] nameBytes, boolean sendName, boolean sendDescription) {
    ChannelHandlerContext ctx = conn.ctx();
    ByteBuf b = replyHeader(Nbd.REP_INFO, 12);
    b.writeShort(Nbd.INFO_EXPORT).writeLong(export.size()).writeShort(transmissionFlags(export));
    ctx.write(b);
    // any alignment works (minimum 1); the image's block size is what we prefer
    int max = conn.settings().maxRequestBytes();
    b = replyHeader(Nbd.REP_INFO, 14);
    b.writeShort(Nbd.INFO_BLOCK_SIZE).writeInt(1).writeInt(Math.min(export.blockSize(), max)).writeInt(max);
    ctx.write(b);
    if (sendName) {
      b = replyHeader(Nbd.REP_INFO, 2 + nameBytes.length);
      ctx.write(b.writeShort(Nbd.INFO_NAME).writeBytes(nameBytes));
    }
    if (sendDescription) {
      byte[] description = export.description().getBytes(StandardCharsets.UTF_8);
      b = replyHeader(Nbd.REP_INFO, 2 + description.length);
      ctx.write(b.writeShort(Nbd.INFO_DESCRIPTION).writeBytes(description));
    }
    reply(Nbd.REP_ACK, null);
  }

  /** Opens the export for this connection, then enters transmission. */
  private void open(NbdExport export, boolean exportName) {
    conn.offload(() -> export.connect(conn.peer()), opened -> {
      if (exportName) {
        ByteBuf b = conn.ctx().alloc().buffer(noZeroes ? 10 : 134);
        b.writeLong(export.size()).writeShort(transmissionFlags(export));
        if (!noZeroes) b.writeZero(124);
        conn.ctx().writeAndFlush(b);
      }
      conn.enterTransmission(export, opened, structuredReplies);
    }, this::failed);
  }

  /** Only the flags that are true for this export. */
  int transmissionFlags(NbdExport export) {
    // every connection to an export reads and writes the same file and layer, and a flush forces that
    // shared file: what one connection flushed, all see
    int flags = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_CAN_MULTI_CONN;
    if (structuredReplies) flags |= Nbd.FLAG_SEND_DF; // a read is always answered in one data chunk
    if (export.writable()) {
      flags |= Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES;
    } else {
      flags |= Nbd.FLAG_READ_ONLY;
    }
    return flags;
  }

  private ByteBuf replyHeader(int type, int length) {
    ByteBuf b = conn.ctx().alloc().buffer(20 + length);
    return b.writeLong(Nbd.OPTION_REPLY_MAGIC).writeInt(option).writeInt(type).writeInt(length);
  }

  /** A reply with an optional message (error replies carry one for the user), flushed. */
  private void reply(int type, String message) {
    byte[] data = message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
    conn.ctx().writeAndFlush(replyHeader(type, data.length).writeBytes(data));
  }

  private void failed(Throwable t) {
    LOG.warning("connection from " + conn.peer() + ": option " + option + " failed: " + t);
    conn.close();
  }

  /** The client broke a MUST of the protocol: the connection is dropped. */
  private boolean violation(String why) {
    LOG.info("connection from " + conn.peer() + " dropped: " + why);
    conn.close();
    return false;
  }
}
