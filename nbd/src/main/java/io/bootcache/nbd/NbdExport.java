package io.bootcache.nbd;

/**
 * One export of the NBD server: a named block device of a fixed size. An export is opened once per
 * NBD connection; the connection's requests go to the {@link ExportConnection} it returns (for
 * cluster-backed exports: one boot session).
 */
public interface NbdExport {

  /** The export name clients ask for (an image or disk id). */
  String name();

  /** Size in bytes. */
  long size();

  /** The preferred request alignment (the image's block size). */
  int blockSize();

  /** True if writes, flushes, trims and write-zeroes are accepted. */
  boolean writable();

  /** A one-line description for the operator (sent in NBD_OPT_LIST). */
  default String description() {
    return (writable() ? "read-write" : "read-only") + ", " + size() + " bytes";
  }

  /**
   * Opens this export for one NBD connection from {@code peer} ("host:port", or the socket path).
   * Called off the network threads: it may block briefly.
   */
  ExportConnection connect(String peer);
}
