package io.bootcache.backends;

import java.io.IOException;

/**
 * The location itself is wrong, not merely unreachable now: not a path or URI we read, no such
 * export or object, a server that does not honour ranges, a range past the end, or an object that
 * changed since it was registered. Trying again will not help.
 */
public final class BadLocationException extends IOException {
  public BadLocationException(String message) {
    super(message);
  }

  public BadLocationException(String message, Throwable cause) {
    super(message, cause);
  }
}
