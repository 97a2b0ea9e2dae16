package io.bootcache.nbd;

/** A failure carrying the NBD error value to put in the reply (EIO when none is given). */
public final class NbdError extends RuntimeException {
  private final int errno;

  public NbdError(int errno, String message) {
    super(message);
    this.errno = errno;
  }

  public int errno() {
    return errno;
  }
}
