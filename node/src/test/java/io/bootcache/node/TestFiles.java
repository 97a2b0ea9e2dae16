package io.bootcache.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Image files with known content for tests. */
final class TestFiles {
  private TestFiles() {}

  /** {@code size} random bytes (from {@code seed}) in a new file. */
  static Path random(Path dir, String name, long size, long seed) throws IOException {
    byte[] data = new byte[(int) size];
    new Random(seed).nextBytes(data);
    Path f = dir.resolve(name);
    Files.write(f, data);
    return f;
  }
}
