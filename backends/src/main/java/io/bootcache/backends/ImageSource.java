package io.bootcache.backends;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where an image's bytes live, opened for positional reads: a local file, an NBD export or an HTTP
 * object. Safe for concurrent reads.
 */
public interface ImageSource extends Closeable {

  /** The location this source was opened from. */
  String location();

  /** The image's size in bytes, as seen when the source was opened. */
  long size();

  /** The object's version as the source saw it when opened; {@link SourceVersion#NONE} where there is none. */
  default SourceVersion version() {
    return SourceVersion.NONE;
  }

  /**
   * Fills {@code dst} (its remaining bytes) with the image's bytes from {@code offset}.
   *
   * @throws BadLocationException when the range is past the end, or the object changed since it was pinned
   * @throws IOException          when the source cannot be read now
   */
  void readFully(long offset, ByteBuffer dst) throws IOException;

  /** Checks the range against {@link #size()}. */
  default void checkRange(long offset, int length) throws BadLocationException {
    if (offset < 0 || length < 0 || offset + length > size()) {
      throw new BadLocationException("range [" + offset + ", " + (offset + length) + ") is outside " + location()
          + " of " + size() + " bytes");
    }
  }
}
