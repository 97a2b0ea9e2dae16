package io.bootcache.node.cluster;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 of a block's bytes: the key of the blocks cache. Identical blocks of any disk or
 * image share one key, so they are stored once. Four longs keep the key small and cheap to compare.
 */
public final class BlockHash {
  public static final int BYTES = 32;
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  });

  private long h0;
  private long h1;
  private long h2;
  private long h3;

  private BlockHash(long h0, long h1, long h2, long h3) {
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }

  public static BlockHash of(byte[] data, int offset, int length) {
    MessageDigest md = SHA256.get();
    md.update(data, offset, length);
    return fromBytes(md.digest());
  }

  public static BlockHash of(byte[] data) {
    return of(data, 0, data.length);
  }

  /** The hash of the buffer's remaining bytes; consumes them. */
  public static BlockHash of(ByteBuffer data) {
    MessageDigest md = SHA256.get();
    md.update(data);
    return fromBytes(md.digest());
  }

  public static BlockHash fromBytes(byte[] digest) {
    if (digest.length != BYTES) throw new IllegalArgumentException("a block hash is 32 bytes, got " + digest.length);
    ByteBuffer b = ByteBuffer.wrap(digest);
    return new BlockHash(b.getLong(), b.getLong(), b.getLong(), b.getLong());
  }

  public byte[] toBytes() {
    return ByteBuffer.allocate(BYTES).putLong(h0).putLong(h1).putLong(h2).putLong(h3).array();
  }

  /** Writes the 32 bytes into {@code out} at {@code offset}. */
  public void writeTo(byte[] out, int offset) {
    ByteBuffer.wrap(out, offset, BYTES).putLong(h0).putLong(h1).putLong(h2).putLong(h3);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlockHash h && h.h0 == h0 && h.h1 == h1 && h.h2 == h2 && h.h3 == h3;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(h0);
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(toBytes());
  }
}
