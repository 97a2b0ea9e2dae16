package io.bootcache.client;

import com.google.protobuf.ByteString;
import io.bootcache.v1.FetchResponse;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Checks a FetchResponse's blocks against their SHA-256 hashes and slices the asked range out of
 * them, without copying the bytes.
 */
final class BlockVerifier {
  private static final int HASH_BYTES = 32;
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  });
  private static final ThreadLocal<byte[]> DIGEST = ThreadLocal.withInitial(() -> new byte[HASH_BYTES]);

  private BlockVerifier() {}

  /**
   * The bytes [offset, offset + length) out of the response, or null when the response does not cover
   * that range or a block does not match its hash (the caller must then not trust any of it).
   */
  static ByteBuffer verifyAndSlice(FetchResponse r, long offset, int length) {
    ByteString data = r.getData();
    ByteString hashes = r.getHashes();
    int blockSize = r.getBlockSize();
    long start = offset - r.getOffset();
    if (blockSize <= 0 || start < 0 || start + length > data.size()) return null;
    int blocks = (data.size() + blockSize - 1) / blockSize;
    if (hashes.size() != blocks * HASH_BYTES) return null;

    MessageDigest md = SHA256.get();
    byte[] digest = DIGEST.get();
    ByteBuffer all = data.asReadOnlyByteBuffer();
    ByteBuffer expected = hashes.asReadOnlyByteBuffer();
    int base = all.position();
    int hashBase = expected.position();
    for (int i = 0; i < blocks; i++) {
      int from = i * blockSize;
      int to = Math.min(data.size(), from + blockSize);
      all.limit(base + to).position(base + from);
      md.update(all);
      try {
        md.digest(digest, 0, HASH_BYTES);
      } catch (java.security.DigestException e) {
        throw new IllegalStateException(e);
      }
      int h = hashBase + i * HASH_BYTES;
      for (int j = 0; j < HASH_BYTES; j++) {
        if (digest[j] != expected.get(h + j)) return null;
      }
    }
    all.limit(base + (int) start + length).position(base + (int) start);
    return all.slice();
  }
}
