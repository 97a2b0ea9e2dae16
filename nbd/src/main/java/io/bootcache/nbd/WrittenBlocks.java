package io.bootcache.nbd;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The blocks of a disk written through this server, as a sparse bitmap safe for concurrent use:
 * reads that touch one of them are served from the disk's own file, the truth.
 */
public final class WrittenBlocks {
  private static final int BITS_PER_CHUNK = 1 << 16; // 8 KiB of bitmap per 64 Ki blocks

  private final int blockSize;
  private final ConcurrentHashMap<Long, AtomicLongArray> chunks = new ConcurrentHashMap<>();

  public WrittenBlocks(int blockSize) {
    this.blockSize = blockSize;
  }

  /** Marks every block that [offset, offset + length) touches. */
  public void mark(long offset, long length) {
    for (long b = offset / blockSize, last = (offset + length - 1) / blockSize; b <= last; b++) {
      AtomicLongArray chunk = chunks.computeIfAbsent(b / BITS_PER_CHUNK, k -> new AtomicLongArray(BITS_PER_CHUNK / 64));
      int bit = (int) (b % BITS_PER_CHUNK);
      long mask = 1L << (bit & 63);
      int word = bit >>> 6;
      long old;
      while (((old = chunk.get(word)) & mask) == 0 && !chunk.compareAndSet(word, old, old | mask)) {
        // another writer changed the word: try again
      }
    }
  }

  /** True if any block that [offset, offset + length) touches was written. */
  public boolean any(long offset, long length) {
    if (chunks.isEmpty()) {
      return false;
    }
    for (long b = offset / blockSize, last = (offset + length - 1) / blockSize; b <= last; b++) {
      AtomicLongArray chunk = chunks.get(b / BITS_PER_CHUNK);
      if (chunk == null) {
        b = (b / BITS_PER_CHUNK + 1) * BITS_PER_CHUNK - 1; // skip the whole chunk
        continue;
      }
      int bit = (int) (b % BITS_PER_CHUNK);
      if ((chunk.get(bit >>> 6) & (1L << (bit & 63))) != 0) {
        return true;
      }
    }
    return false;
  }
}
