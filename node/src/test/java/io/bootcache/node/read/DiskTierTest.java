package io.bootcache.node.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskTierTest {
  static final int MIB = 1 << 20;
  @TempDir Path dir;

  static Block block(long index, int seed) {
    byte[] b = new byte[4096];
    new Random(seed * 1_000_003L + index).nextBytes(b);
    return Block.hashed(index, ByteBuffer.wrap(b));
  }

  static void assertHolds(DiskTier tier, String key, long index, int seed) {
    Block got = tier.lookUp(key, index);
    assertNotNull(got, key + " block " + index);
    Block want = block(index, seed);
    assertEquals(want.hash(), got.hash());
    assertArrayEquals(want.copy(), got.copy());
  }

  @Test
  void keepsBlocksAcrossARestart() {
    try (DiskTier tier = DiskTier.open(dir, 8 * MIB, MIB)) {
      for (long i = 0; i < 300; i++) tier.offer("img@1", block(i, 1));
      tier.offer("other@2", block(7, 2));
      tier.flush();
      assertHolds(tier, "img@1", 299, 1);
      assertNull(tier.lookUp("img@1", 300));
      assertNull(tier.lookUp("img@9", 0), "another registration of the image is other content");
    }
    try (DiskTier tier = DiskTier.open(dir, 8 * MIB, MIB)) {
      for (long i = 0; i < 300; i++) assertHolds(tier, "img@1", i, 1);
      assertHolds(tier, "other@2", 7, 2);
      assertEquals(0, tier.written(), "nothing written again");
    }
  }

  @Test
  void aTornTailIsCutAndTheRestKept() throws IOException {
    try (DiskTier tier = DiskTier.open(dir, 8 * MIB, MIB)) {
      for (long i = 0; i < 10; i++) tier.offer("img@1", block(i, 1));
      tier.flush();
    }
    Path last = lastSegment();
    long whole = Files.size(last);
    // a crash in the middle of an append: the start of a record, no more
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x42, 0x43, 0x53, 0x31, 1, 2, 3}));
    }
    try (DiskTier tier = DiskTier.open(dir, 8 * MIB, MIB)) {
      for (long i = 0; i < 10; i++) assertHolds(tier, "img@1", i, 1);
      assertEquals(whole, Files.size(last));
    }
  }

  @Test
  void aCorruptRecordIsAMissNeverWrongBytes() throws IOException {
    try (DiskTier tier = DiskTier.open(dir, 8 * MIB, MIB)) {
      for (long i = 0; i < 10; i++) tier.offer("img@1", block(i, 1));
      tier.flush();
    }
    Path last = lastSegment();
    int recordLength = (int) (Files.size(last) / 10);
    try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xff}), 3L * recordLength + recordLength - 100); // in block 3's data
    }
    try (DiskTier tier = DiskTier.open(dir, 8 * MIB, MIB)) {
      assertNull(tier.lookUp("img@1", 3));
      assertEquals(1, tier.corrupt());
      assertHolds(tier, "img@1", 4, 1);
    }
  }

  @Test
  void staysWithinItsSizeAndKeepsWhatIsStillRead() {
    try (DiskTier tier = DiskTier.open(dir, 4 * MIB, MIB)) {
      tier.offer("hot@1", block(0, 3));
      tier.flush();
      // 4,000 blocks (16 MiB) through a 4 MiB tier; the hot block is read all along
      for (long i = 0; i < 4000; i++) {
        tier.offer("cold@1", block(i, 4));
        if (i % 100 == 0) {
          tier.flush();
          assertHolds(tier, "hot@1", 0, 3);
        }
      }
      tier.flush();
      assertTrue(tier.bytes() <= 4 * MIB, tier.bytes() + " bytes");
      assertHolds(tier, "hot@1", 0, 3);
      assertNull(tier.lookUp("cold@1", 0), "the oldest went");
      assertHolds(tier, "cold@1", 3999, 4);
    }
  }

  @Test
  void refusesASizeBelowTwoSegments() {
    assertThrows(IllegalArgumentException.class, () -> DiskTier.open(dir, MIB, MIB));
  }

  private Path lastSegment() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> Segment.idOf(f) != null && sizeOf(f) > 0).max(Path::compareTo).orElseThrow();
    }
  }

  private static long sizeOf(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
