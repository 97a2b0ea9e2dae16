package io.bootcache.client;

import io.bootcache.node.LocalCluster;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.BootSummary;
import io.bootcache.v1.CloneMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Boot sessions recorded through a real cluster. */
class RecorderTest {
  static final int SIZE = 2 * 1024 * 1024 + 100;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static BootCacheClient client;
  static byte[] image;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data")).start();
    Path file = dir.resolve("img.raw");
    image = TestImages.write(file, SIZE, 5);
    client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build();
    client.registerImage("img", file.toString(), 0);
    client.registerDisk("vm-a", "img", CloneMode.LINKED, "");
    client.registerDisk("vm-b", "img", CloneMode.LINKED, "");
    client.registerDisk("vm-c", "img", CloneMode.LINKED, "");
  }

  @AfterAll
  static void stop() {
    if (client != null) client.close();
    if (cluster != null) cluster.close();
  }

  @Test
  void writesAreVisibleToTheirDiskOnly() {
    byte[] expectedA = image.clone();
    Recorder rec = client.startBoot(Target.disk("vm-a"), "host-1");
    Random rnd = new Random(9);
    // unaligned writes, one across a block boundary, one in the short last block
    long[][] writes = {{5000, 1000}, {8190, 10}, {SIZE - 50, 50}, {0, 4096}};
    for (long[] w : writes) {
      byte[] data = new byte[(int) w[1]];
      rnd.nextBytes(data);
      rec.write(w[0], data);
      System.arraycopy(data, 0, expectedA, (int) w[0], data.length);
    }
    rec.read(0, 4096);
    rec.read(4096, 4096); // adjacent: merged with the one before
    BootSummary summary = rec.close();
    assertEquals(rec.sessionId(), summary.getSessionId());
    assertNull(rec.staleReason(), "every write was delivered");
    assertFalse(client.isStale("vm-a"));

    for (long[] r : new long[][] {{0, SIZE}, {4000, 5000}, {8000, 300}, {SIZE - 60, 60}}) {
      assertArrayEquals(TestImages.slice(expectedA, r[0], r[1]), client.readBlocking(Target.disk("vm-a"), r[0], r[1]), "vm-a " + r[0]);
      assertArrayEquals(TestImages.slice(image, r[0], r[1]), client.readBlocking(Target.disk("vm-b"), r[0], r[1]), "vm-b " + r[0]);
      assertArrayEquals(TestImages.slice(image, r[0], r[1]), client.readBlocking(Target.image("img"), r[0], r[1]), "image " + r[0]);
    }
    assertEquals(0, client.clientStats().fallbackReads());
  }

  @Test
  void aBootsReadsBecomeTheImagesProfile() {
    Recorder rec = client.startBoot(Target.image("img"), "host-2");
    for (int i = 0; i < 20; i++) {
      long offset = (long) i * 3 * 4096;
      assertArrayEquals(TestImages.slice(image, offset, 4096), client.readBlocking(Target.image("img"), offset, 4096, rec.sessionId()));
      rec.read(offset, 4096);
    }
    BootSummary summary = rec.close();
    assertEquals(20, summary.getBlocksRead());
    assertTrue(summary.getBoots() >= 1);
    BootProfile profile = client.profile("img");
    assertTrue(profile.getBoots() >= 1);
    assertTrue(profile.getBlocksList().containsAll(java.util.List.of(0L, 3L, 6L, 57L)), profile.getBlocksList().toString());
  }

  @Test
  void writesToAnImageSessionAreRefusedLocally() {
    Recorder rec = client.startBoot(Target.image("img"), "host-3");
    assertThrows(IllegalStateException.class, () -> rec.write(0, new byte[10]));
    assertThrows(IllegalArgumentException.class, () -> rec.read(-1, 10));
    rec.close();
    assertThrows(IllegalStateException.class, () -> rec.read(0, 10));
  }

  @Test
  void aSessionForAnUnknownDiskIsNotFound() {
    BootCacheException e = assertThrows(BootCacheException.class, () -> client.startBoot(Target.disk("nope"), "h"));
    assertEquals(io.vertx.grpc.common.GrpcStatus.NOT_FOUND, e.status());
  }

  @Test
  void manyWritesWithBoundedMemory() {
    // More write data than the queue holds: writers wait for room, nothing is lost.
    Recorder rec = client.startBoot(Target.disk("vm-c"), "host-4");
    byte[] expected = image.clone();
    byte[] chunk = new byte[256 * 1024];
    long total = 0;
    for (int i = 0; total + chunk.length <= 20L * 1024 * 1024; i++) {
      java.util.Arrays.fill(chunk, (byte) i);
      int offset = (i % 4) * chunk.length; // rewrite the same 1 MiB over and over
      rec.write(offset, chunk);
      System.arraycopy(chunk, 0, expected, offset, chunk.length);
      total += chunk.length;
    }
    rec.close();
    assertNull(rec.staleReason());
    assertFalse(client.isStale("vm-c"));
    assertArrayEquals(TestImages.slice(expected, 0, 2 * 1024 * 1024), client.readBlocking(Target.disk("vm-c"), 0, 2 * 1024 * 1024));
  }
}
