package io.bootcache.node.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.metrics.ImageMetrics;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HostTierTest {
  static final int BS = 4096;
  /** One chunk of slots: the tier holds this many 4 KiB blocks at most. */
  static final int SLOTS = HostTier.CHUNK_BYTES / BS;

  static Block block(long index) {
    byte[] b = new byte[BS];
    Arrays.fill(b, (byte) index);
    return Block.hashed(index, ByteBuffer.wrap(b));
  }

  static byte[] bytes(Block b) {
    byte[] out = new byte[b.length()];
    b.bytes().duplicate().get(out);
    return out;
  }

  @Test
  void heldBlocksAreReadBackWholeOrNotAtAll() {
    HostTier tier = new HostTier(HostTier.CHUNK_BYTES);
    for (long i = 0; i < 8; i++) tier.hold("img", 1000, BS, block(i), false);
    HostTier.Lease lease = tier.lookUp("img", 2, 4);
    assertNotNull(lease);
    Block[] got = lease.blocks();
    for (int k = 0; k < 4; k++) {
      assertEquals(2 + k, got[k].index());
      assertArrayEquals(bytes(block(2 + k)), bytes(got[k]));
      assertEquals(block(2 + k).hash(), got[k].hash());
    }
    lease.release();
    assertNull(tier.lookUp("img", 6, 4), "block 8 is not held: the range is a miss");
    assertNull(tier.lookUp("other", 0, 1));
    HostTier.Lease each = tier.lookUpEach("img", 6, 4);
    Block[] partial = each.blocks();
    assertNotNull(partial[0]);
    assertNotNull(partial[1]);
    assertNull(partial[2]);
    each.release();
    assertEquals(8L * BS, tier.residentBytes());
    assertEquals(HostTier.CHUNK_BYTES, tier.allocatedBytes(), "one chunk taken from the system");
  }

  @Test
  void pastItsCapTheTierEvictsBlocksNotReadSinceTheLastSweep() {
    HostTier tier = new HostTier(HostTier.CHUNK_BYTES);
    for (long i = 0; i < SLOTS; i++) tier.hold("img", 100_000, BS, block(i), false);
    // a first sweep gives every block a second chance; reading block 5 again keeps it
    for (long i = SLOTS; i < SLOTS + 10; i++) {
      HostTier.Lease keep = tier.lookUp("img", 5, 1);
      keep.release();
      tier.hold("img", 100_000, BS, block(i), false);
    }
    assertEquals(10, tier.evictions());
    assertEquals(HostTier.CHUNK_BYTES, tier.allocatedBytes(), "never past the cap");
    assertNotNull(tier.lookUp("img", 5, 1), "a block read since the last sweep stays");
    HostTier.Lease newest = tier.lookUp("img", SLOTS + 9, 1);
    assertArrayEquals(bytes(block(SLOTS + 9)), bytes(newest.blocks()[0]));
  }

  @Test
  void aPinnedBlockIsNeverEvictedNorOverwritten() {
    HostTier tier = new HostTier(HostTier.CHUNK_BYTES);
    for (long i = 0; i < SLOTS; i++) tier.hold("img", 100_000, BS, block(i), false);
    HostTier.Lease all = tier.lookUp("img", 0, SLOTS); // every slot pinned by a reader
    tier.hold("img", 100_000, BS, block(SLOTS), false);
    assertEquals(1, tier.refused(), "no slot is free: the new block is not held");
    assertNull(tier.lookUp("img", SLOTS, 1));
    Block[] pinned = all.blocks();
    for (int k = 0; k < SLOTS; k += 97) assertArrayEquals(bytes(block(k)), bytes(pinned[k]), "block " + k);
    all.release();
    tier.hold("img", 100_000, BS, block(SLOTS), false);
    assertNotNull(tier.lookUp("img", SLOTS, 1), "once released, slots can be reused");
  }

  @Test
  void prefetchedBlocksAreCountedAsUsedWhenReadAndWastedWhenEvictedUnread() {
    ImageMetrics perImage = new ImageMetrics(10);
    HostTier tier = new HostTier(HostTier.CHUNK_BYTES, perImage);
    for (long i = 0; i < 10; i++) tier.hold("img", 100_000, BS, block(i), true);
    tier.hold("other-img", 100_000, BS, block(0), true);
    tier.hold("img", 100_000, BS, block(3), true); // held already: not counted again
    assertEquals(11, tier.prefetched());
    tier.lookUp("img", 0, 4).release();
    tier.lookUp("img", 2, 2).release(); // read again: used once
    assertEquals(4, tier.prefetchUsed());
    for (long i = 10; i < SLOTS + 20; i++) tier.hold("img", 100_000, BS, block(i), false); // pushes the rest out
    assertEquals(7, tier.prefetchWasted(), "blocks 4 to 9 and other-img's block 0 were prefetched for nothing");
    assertEquals(4, perImage.of("img").prefetchUsed.sum());
    assertEquals(6, perImage.of("img").prefetchUnused.sum());
    assertEquals(0, perImage.of("other-img").prefetchUsed.sum());
    assertEquals(1, perImage.of("other-img").prefetchUnused.sum());
  }

  @Test
  void aTierOfZeroHoldsNothing() {
    HostTier tier = new HostTier(0);
    tier.hold("img", 10, BS, block(1), false);
    assertNull(tier.lookUp("img", 1, 1));
    assertEquals(0, tier.allocatedBytes());
    assertNull(tier.lookUpEach("img", 1, 1).blocks()[0]);
    assertEquals(1, tier.misses(), "a miss is counted once, block by block");
  }
}
