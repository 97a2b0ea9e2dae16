package io.bootcache.client.nbd;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.TestImages;
import io.bootcache.node.LocalCluster;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stale journal: durable before a write is acknowledged, told to the cluster once it listens. */
class StaleJournalTest {
  @TempDir
  Path dir;

  @Test
  void marksSurviveARestartAndAreForgottenOnceTheClusterHoldsThem() throws Exception {
    Path file = dir.resolve("j/nbd.journal");
    StaleJournal journal = new StaleJournal(file);
    journal.mark("vm1", "a write at 0 could not be recorded");
    journal.mark("vm2", "another");
    journal.mark("vm1", "again");
    assertEquals(List.of("vm1", "vm2"), new StaleJournal(file).disks(), "read back as a restarted server would");
    journal.told("vm1");
    assertEquals(List.of("vm2"), new StaleJournal(file).disks());
    Files.writeString(file, Files.readString(file) + "vm3-torn-without-a-reason");
    assertEquals(List.of("vm2"), new StaleJournal(file).disks(), "a torn last line is skipped");
  }

  @Test
  void aMarkLeftByAnEarlierRunReachesTheClusterAndLeavesTheJournal() throws Exception {
    Path image = dir.resolve("img.raw");
    Path disk = dir.resolve("vm.raw");
    TestImages.write(image, 1 << 20, 4);
    Files.copy(image, disk);
    Path file = dir.resolve("nbd.journal");
    new StaleJournal(file).mark("vm", "a write the cluster could not take, before a restart");
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      client.registerImage("img", image.toString(), 0);
      client.registerDisk("vm", "img", CloneMode.FULL, disk.toString());
      StaleJournal journal = new StaleJournal(file);
      new AcknowledgedWrites(client, journal, timer);
      assertTrue(client.isStale("vm"), "this client reads the disk from its file at once");
      Disk seen = null;
      for (int i = 0; i < 100 && !journal.disks().isEmpty(); i++) Thread.sleep(100);
      for (Disk d : client.disks()) if (d.getId().equals("vm")) seen = d;
      assertEquals(DiskState.STALE, seen.getState(), "the cluster holds the mark");
      assertTrue(journal.disks().isEmpty() && new StaleJournal(file).disks().isEmpty(), "and the journal forgot it");
    } finally {
      timer.shutdownNow();
    }
  }
}
