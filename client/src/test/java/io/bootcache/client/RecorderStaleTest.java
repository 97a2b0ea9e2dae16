package io.bootcache.client;

import io.bootcache.node.LocalCluster;
import io.bootcache.v1.CloneMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A recorder whose cluster dies marks its disk stale, and the disk's reads still get the right bytes. */
class RecorderStaleTest {
  static final int SIZE = 512 * 1024 + 300;

  @TempDir
  static Path dir;
  static LocalCluster cluster;

  @BeforeAll
  static void start() {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  void aDeadClusterMarksTheDiskStaleAndReadsGoToItsFile() throws Exception {
    Path imageFile = dir.resolve("img.raw");
    Path cloneFile = dir.resolve("vm.raw");
    byte[] disk = TestImages.write(imageFile, SIZE, 8);
    Files.write(cloneFile, disk);
    try (BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).deadline(Duration.ofSeconds(1)).build()) {
      client.registerImage("img", imageFile.toString(), 0);
      client.registerDisk("vm", "img", CloneMode.FULL, cloneFile.toString());
      client.disks();
      Recorder rec = client.startBoot(Target.disk("vm"), "host");

      // The VM writes: the hypervisor puts it in the clone's file, the recorder sends it to the cluster.
      byte[] first = new byte[3000];
      java.util.Arrays.fill(first, (byte) 7);
      System.arraycopy(first, 0, disk, 1000, first.length);
      Files.write(cloneFile, disk);
      rec.write(1000, first);

      cluster.close();
      cluster = null;

      byte[] second = new byte[100];
      java.util.Arrays.fill(second, (byte) 9);
      System.arraycopy(second, 0, disk, 20_000, second.length);
      Files.write(cloneFile, disk);
      rec.write(20_000, second);

      assertThrows(BootCacheException.class, rec::close, "the boot cannot be ended without a cluster");
      assertNotNull(rec.staleReason());
      assertTrue(client.isStale("vm"));

      long before = client.clientStats().fallbackReads();
      assertArrayEquals(TestImages.slice(disk, 0, 32768), client.readBlocking(Target.disk("vm"), 0, 32768));
      assertArrayEquals(TestImages.slice(disk, SIZE - 300, 300), client.readBlocking(Target.disk("vm"), SIZE - 300, 300));
      assertTrue(client.clientStats().fallbackReads() >= before + 2);
    }
  }
}
