package io.bootcache.nbd;

/**
 * Numbers of the NBD protocol (fixed newstyle negotiation, simple and structured replies), as the
 * NBD protocol specification defines them. Everything on the wire is big-endian.
 */
public final class Nbd {
  private Nbd() {}

  // Handshake.
  public static final long NBDMAGIC = 0x4e42444d41474943L; // "NBDMAGIC"
  public static final long IHAVEOPT = 0x49484156454f5054L; // "IHAVEOPT"
  public static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;

  public static final int FLAG_FIXED_NEWSTYLE = 1;
  public static final int FLAG_NO_ZEROES = 1 << 1;
  public static final int FLAG_C_FIXED_NEWSTYLE = 1;
  public static final int FLAG_C_NO_ZEROES = 1 << 1;

  // Options.
  public static final int OPT_EXPORT_NAME = 1;
  public static final int OPT_ABORT = 2;
  public static final int OPT_LIST = 3;
  public static final int OPT_STARTTLS = 5;
  public static final int OPT_INFO = 6;
  public static final int OPT_GO = 7;
  public static final int OPT_STRUCTURED_REPLY = 8;

  // Option replies.
  public static final int REP_ACK = 1;
  public static final int REP_SERVER = 2;
  public static final int REP_INFO = 3;
  public static final int REP_ERR_UNSUP = 0x80000000 | 1;
  public static final int REP_ERR_INVALID = 0x80000000 | 3;
  public static final int REP_ERR_TLS_REQD = 0x80000000 | 5;
  public static final int REP_ERR_UNKNOWN = 0x80000000 | 6;
  public static final int REP_ERR_TOO_BIG = 0x80000000 | 9;

  // Information types of NBD_OPT_INFO / NBD_OPT_GO.
  public static final int INFO_EXPORT = 0;
  public static final int INFO_NAME = 1;
  public static final int INFO_DESCRIPTION = 2;
  public static final int INFO_BLOCK_SIZE = 3;

  // Transmission flags.
  public static final int FLAG_HAS_FLAGS = 1;
  public static final int FLAG_READ_ONLY = 1 << 1;
  public static final int FLAG_SEND_FLUSH = 1 << 2;
  public static final int FLAG_SEND_FUA = 1 << 3;
  public static final int FLAG_SEND_TRIM = 1 << 5;
  public static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
  public static final int FLAG_SEND_DF = 1 << 7;
  public static final int FLAG_CAN_MULTI_CONN = 1 << 8;

  // Transmission.
  public static final int REQUEST_MAGIC = 0x25609513;
  public static final int SIMPLE_REPLY_MAGIC = 0x67446698;
  public static final int REQUEST_HEADER_BYTES = 28;
  public static final int SIMPLE_REPLY_HEADER_BYTES = 16;
  public static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
  public static final int STRUCTURED_REPLY_HEADER_BYTES = 20;
  public static final int REPLY_FLAG_DONE = 1;
  public static final int REPLY_TYPE_OFFSET_DATA = 1;
  public static final int REPLY_TYPE_ERROR = (1 << 15) | 1;

  public static final int CMD_READ = 0;
  public static final int CMD_WRITE = 1;
  public static final int CMD_DISC = 2;
  public static final int CMD_FLUSH = 3;
  public static final int CMD_TRIM = 4;
  public static final int CMD_WRITE_ZEROES = 6;

  public static final int CMD_FLAG_FUA = 1;
  public static final int CMD_FLAG_NO_HOLE = 1 << 1;
  public static final int CMD_FLAG_DF = 1 << 2;

  // Error values.
  public static final int EPERM = 1;
  public static final int EIO = 5;
  public static final int EINVAL = 22;
  public static final int ENOSPC = 28;

  static String commandName(int type) {
    return switch (type) {
      case CMD_READ -> "READ";
      case CMD_WRITE -> "WRITE";
      case CMD_DISC -> "DISC";
      case CMD_FLUSH -> "FLUSH";
      case CMD_TRIM -> "TRIM";
      case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
      default -> "command " + type;
    };
  }
}
