package io.bootcache.client.consistency;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The consistency run's check of one read against the model: what a block device may answer, and no more. */
class ConsistencyCheckTest {
  static final long OFFSET = 8192 - 1024; // a read that starts 1 KiB before a block boundary, as boot reads may
  static final int LENGTH = 4096 + 2048;

  final byte[] old = filled(LENGTH, 1);
  /** A write in flight over the whole read. */
  final ConsistencyRun.Write write = new ConsistencyRun.Write(OFFSET, filled(LENGTH, 2));
  final ConsistencyRun.Snapshot before = new ConsistencyRun.Snapshot(old, write);
  final ConsistencyRun.Snapshot after = new ConsistencyRun.Snapshot(write.data(), null);

  @Test
  void eachBlockBeforeOrAfterAConcurrentWriteIsAllowed() {
    assertNull(ConsistencyRun.check(old.clone(), OFFSET, before, after));
    assertNull(ConsistencyRun.check(write.data().clone(), OFFSET, before, after));
    // the first block (1 KiB of the read) already written, the next not yet: a read across two blocks
    byte[] mixed = old.clone();
    System.arraycopy(write.data(), 0, mixed, 0, 1024);
    assertNull(ConsistencyRun.check(mixed, OFFSET, before, after));
  }

  @Test
  void aBlockTornInsideOrForeignBytesAreWrong() {
    byte[] torn = old.clone();
    System.arraycopy(write.data(), 1024, torn, 1024, 512); // half of one block new, half old
    String bad = ConsistencyRun.check(torn, OFFSET, before, after);
    assertNotNull(bad);
    assertTrue(bad.contains("8192..12288"), bad);

    byte[] foreign = old.clone();
    foreign[LENGTH - 1] ^= 1;
    assertNotNull(ConsistencyRun.check(foreign, OFFSET, before, after));
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
