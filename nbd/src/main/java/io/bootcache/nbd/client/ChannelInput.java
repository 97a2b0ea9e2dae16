package io.bootcache.nbd.client;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Big-endian reads from a channel through one buffer, so that a reply header costs no system call
 * of its own. Used by one thread at a time.
 */
final class ChannelInput {
  private final ReadableByteChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(256 * 1024).flip();

  ChannelInput(ReadableByteChannel channel) {
    this.channel = channel;
  }

  short readShort() throws IOException {
    need(2);
    return buffer.getShort();
  }

  int readInt() throws IOException {
    need(4);
    return buffer.getInt();
  }

  long readLong() throws IOException {
    need(8);
    return buffer.getLong();
  }

  /** Fills {@code dst} up to its limit. */
  void readFully(ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      if (!buffer.hasRemaining()) fill();
      int n = Math.min(dst.remaining(), buffer.remaining());
      dst.put(dst.position(), buffer, buffer.position(), n);
      dst.position(dst.position() + n);
      buffer.position(buffer.position() + n);
    }
  }

  void skip(long bytes) throws IOException {
    while (bytes > 0) {
      if (!buffer.hasRemaining()) fill();
      int n = (int) Math.min(bytes, buffer.remaining());
      buffer.position(buffer.position() + n);
      bytes -= n;
    }
  }

  private void need(int bytes) throws IOException {
    while (buffer.remaining() < bytes) fill();
  }

  /** Reads more from the channel, keeping what is not consumed yet. */
  private void fill() throws IOException {
    buffer.compact();
    try {
      if (channel.read(buffer) < 0) throw new EOFException("the server closed the connection");
    } finally {
      buffer.flip();
    }
  }
}
