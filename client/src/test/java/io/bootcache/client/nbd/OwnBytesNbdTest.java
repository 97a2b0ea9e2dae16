package io.bootcache.client.nbd;

import io.bootcache.nbd.NbdServer;
import io.bootcache.nbd.Tools;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.BootCacheException;
import io.bootcache.client.Recorder;
import io.bootcache.client.Target;
import io.bootcache.client.TestImages;
import io.bootcache.node.LocalCluster;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A disk is served its image plus its own writes, or an error, through the client library and over
 * NBD to the real tools: the three ways this broke, as a user met them.
 */
class OwnBytesNbdTest {
  static final int SIZE = 1024 * 1024;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static BootCacheClient client;
  static ClusterCatalog catalog;
  static NbdServer server;
  static byte[] golden;
  static byte[] other;
  static Path otherFile;

  @BeforeAll
  static void start() throws Exception {
    Tools.require("nbdinfo", "nbdcopy", "qemu-io");
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).deadline(Duration.ofSeconds(5)).build();
    Path goldenFile = dir.resolve("golden.raw");
    otherFile = dir.resolve("other.raw");
    golden = TestImages.write(goldenFile, SIZE, 1);
    other = TestImages.write(otherFile, SIZE, 2);
    client.registerImage("golden", goldenFile.toString(), 0);
    catalog = ClusterCatalog.builder(client).journal(dir.resolve("nbd.journal")).refreshInterval(Duration.ofMillis(200)).build();
    server = NbdServer.builder().catalog(catalog).listen("127.0.0.1", 0).start();
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
    if (catalog != null) catalog.close();
    if (client != null) client.close();
    if (cluster != null) cluster.close();
  }

  static String uri(String export) {
    return "nbd://127.0.0.1:" + server.port() + "/" + export;
  }

  @Test
  void anImageRegisteredUnderADisksIdIsRefusedAndNbdServesTheDisk() throws Exception {
    client.registerDisk("vm7", "golden", CloneMode.LINKED, "");
    BootCacheException refused = assertThrows(BootCacheException.class,
        () -> client.registerImage("vm7", otherFile.toString(), 0));
    assertEquals(GrpcStatus.ALREADY_EXISTS, refused.status());
    assertTrue(refused.getMessage().contains("disk vm7"), refused.getMessage());

    catalog.refresh(); // the export list follows registrations within its refresh interval
    String list = Tools.run("nbdinfo", "--list", "nbd://127.0.0.1:" + server.port()).ok().out();
    assertEquals(1, list.split("export=\"vm7\"", -1).length - 1, list);
    assertTrue(list.contains("linked-clone disk"), list);
    Path copy = dir.resolve("vm7.copy");
    Tools.run("nbdcopy", uri("vm7"), copy.toString()).ok();
    assertArrayEquals(golden, Files.readAllBytes(copy), "vm7 is its image plus its (no) writes, not other.raw");
  }

  @Test
  void aStaleLinkedCloneFailsEverywhereAndNeverShowsItsImage() throws Exception {
    client.registerDisk("d1", "golden", CloneMode.LINKED, "");
    byte[] marker = new byte[4096];
    Arrays.fill(marker, (byte) 0x5a);
    Recorder boot = client.startBoot(Target.disk("d1"), "host-a");
    boot.write(0, marker);
    boot.close();
    assertArrayEquals(marker, client.readBlocking(Target.disk("d1"), 0, 4096));

    client.markStale("d1", "test: a write was lost").get();
    assertRefused(client, "d1");
    try (BootCacheClient fresh = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      assertRefused(fresh, "d1"); // knows nothing locally: the node says so, and no file stands in
    }
    Tools.Result copy = Tools.run("nbdcopy", uri("d1"), dir.resolve("d1.copy").toString());
    assertNotEquals(0, copy.exit(), "nbdcopy must fail rather than copy the image: " + copy.out());
    Tools.Result read = Tools.run("qemu-io", "-f", "raw", "-r", "-c", "read -v 0 512", uri("d1"));
    assertTrue(read.out().contains("Input/output error") || read.err().contains("Input/output error"),
        read.out() + read.err());
    assertFalse(read.out().contains("5a 5a"), "no bytes at all are served");

    // What brings it back: the VM's disk as a raw file (e.g. qemu-img convert of its overlay).
    byte[] content = golden.clone();
    System.arraycopy(marker, 0, content, 0, marker.length);
    Path raw = dir.resolve("d1.raw");
    Files.write(raw, content);
    Disk back = client.resyncDisk("d1", raw.toString());
    assertEquals(DiskState.ACTIVE, back.getState());
    assertArrayEquals(content, client.readBlocking(Target.disk("d1"), 0, SIZE));
  }

  @Test
  void aWriteOutsideTheDiskIsRefusedAndChangesNothing() throws Exception {
    client.registerDisk("d3", "golden", CloneMode.LINKED, "");
    byte[] marker = new byte[4096];
    Arrays.fill(marker, (byte) 0x33);
    Recorder boot = client.startBoot(Target.disk("d3"), "host-a");
    boot.write(8192, marker);
    assertThrows(IllegalArgumentException.class, () -> boot.write(SIZE - 10, new byte[20]));
    boot.close();
    assertEquals(null, boot.staleReason());
    Disk d3 = client.disks().stream().filter(d -> d.getId().equals("d3")).findFirst().orElseThrow();
    assertEquals(DiskState.ACTIVE, d3.getState(), d3.getStaleReason());
    assertArrayEquals(marker, client.readBlocking(Target.disk("d3"), 8192, 4096));
  }

  static void assertRefused(BootCacheClient c, String disk) {
    CompletionException e = assertThrows(CompletionException.class, () -> c.read(Target.disk(disk), 0, 4096).join());
    BootCacheException refused = (BootCacheException) e.getCause();
    assertEquals(GrpcStatus.FAILED_PRECONDITION, refused.status(), refused.getMessage());
    assertTrue(refused.getMessage().contains("resync"), refused.getMessage());
  }
}
