package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import java.nio.ByteBuffer;

/**
 * One block of an image or disk: its index, the SHA-256 of its bytes, and the bytes (whole; the last
 * block of an image may be short). The bytes are a read-only view: of a backend read, of the cluster's
 * copy, or of the host tier's memory, which a {@link ReadResult} holds on to until it is released.
 */
public record Block(long index, BlockHash hash, ByteBuffer bytes) {
  public Block {
    bytes = bytes.asReadOnlyBuffer();
  }

  /** A block of freshly read bytes: hashed here. */
  public static Block hashed(long index, ByteBuffer bytes) {
    return new Block(index, BlockHash.of(bytes.duplicate()), bytes);
  }

  public int length() {
    return bytes.remaining();
  }

  /** The bytes as a new array (for the cluster's caches, which store arrays). */
  public byte[] copy() {
    byte[] out = new byte[bytes.remaining()];
    bytes.duplicate().get(out);
    return out;
  }
}
