package io.bootcache.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Real raw image files with random content for tests. */
public final class TestImages {
  private TestImages() {}

  /** A file of random bytes (seeded, so a failure can be replayed). */
  public static byte[] write(Path file, int size, long seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Files.write(file, bytes);
    return bytes;
  }

  public static byte[] slice(byte[] all, long offset, long length) {
    return Arrays.copyOfRange(all, (int) offset, (int) (offset + length));
  }
}
