package io.bootcache.sim.backend;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Deterministic, random-looking image content: block i of image {@code seed} is always the same
 * bytes. A fraction of blocks are copies of a small pool of common blocks (shared by all images),
 * so that content addressing has duplicates to find, within an image and across images.
 *
 * <p>Only the blocks some boot touches need content; the others are left as holes (zeros) so that
 * a 1 GiB or 32 GiB image costs only its working set on disk.
 */
public final class ImageContent {
  public static final int BLOCK = 4096;
  private static final int COMMON_BLOCKS = 64;
  private static final long COMMON_SEED = 0x5eed_b007_cac4eL;

  private final long seed;
  private final double duplicateFraction;

  public ImageContent(long seed, double duplicateFraction) {
    if (duplicateFraction < 0 || duplicateFraction > 1) {
      throw new IllegalArgumentException("duplicateFraction must be within [0, 1], got " + duplicateFraction);
    }
    this.seed = seed;
    this.duplicateFraction = duplicateFraction;
  }

  /** Fills {@code out} (BLOCK bytes) with the content of block {@code index}. */
  public void block(long index, byte[] out) {
    long h = mix(seed * 0x9E3779B97F4A7C15L + index);
    double u = (h >>> 11) * 0x1.0p-53;
    if (u < duplicateFraction) {
      new SplittableRandom(COMMON_SEED + Math.floorMod(h, COMMON_BLOCKS)).nextBytes(out);
    } else {
      new SplittableRandom(h).nextBytes(out);
    }
  }

  /**
   * Writes an image file of {@code size} bytes: the blocks set in {@code blocks} (or every block
   * when it is null) get their content, the rest stay holes.
   */
  public void write(Path file, long size, BitSet blocks) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      byte[] block = new byte[BLOCK];
      long nblocks = (size + BLOCK - 1) / BLOCK;
      for (long i = blocks == null ? 0 : blocks.nextSetBit(0); i >= 0 && i < nblocks;
          i = blocks == null ? i + 1 : blocks.nextSetBit((int) i + 1)) {
        block(i, block);
        int n = (int) Math.min(BLOCK, size - i * BLOCK);
        ByteBuffer buf = ByteBuffer.wrap(block, 0, n);
        long pos = i * BLOCK;
        while (buf.hasRemaining()) pos += ch.write(buf, pos);
      }
      // Sets the size even when the last block is a hole.
      if (ch.size() < size) ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
