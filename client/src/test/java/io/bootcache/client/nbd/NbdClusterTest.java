package io.bootcache.client.nbd;

import io.bootcache.nbd.NbdServer;
import io.bootcache.nbd.Nbd;
import io.bootcache.nbd.Tools;
import io.bootcache.nbd.RawNbdClient;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Target;
import io.bootcache.client.TestImages;
import io.bootcache.node.LocalCluster;
import io.bootcache.v1.CloneMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NBD server over a real two-node cluster, driven by the real tools: nbdinfo, qemu-img, qemu-io,
 * nbdcopy. Every export is checked byte for byte against its backing file.
 */
class NbdClusterTest {
  static final int ODD_SIZE = 5 * 1024 * 1024 + 1234;   // not a multiple of 512, let alone 4096
  static final int EVEN_SIZE = 4 * 1024 * 1024;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static BootCacheClient client;
  static ClusterCatalog catalog;
  static NbdServer server;
  static byte[] odd;
  static byte[] even;
  static Path oddFile;
  static Path evenFile;
  static Path fullFile;

  @BeforeAll
  static void start() throws IOException {
    Tools.require("nbdinfo", "nbdcopy", "qemu-img", "qemu-io");
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data")).start();
    client = BootCacheClient.builder().nodes(cluster.grpcAddresses())
        .deadline(Duration.ofSeconds(5)).adminDeadline(Duration.ofSeconds(10)).build();
    oddFile = dir.resolve("odd.raw");
    evenFile = dir.resolve("even.raw");
    fullFile = dir.resolve("full.raw");
    odd = TestImages.write(oddFile, ODD_SIZE, 1);
    even = TestImages.write(evenFile, EVEN_SIZE, 2);
    Files.write(fullFile, odd);
    client.registerImage("odd", oddFile.toString(), 0);
    client.registerImage("even", evenFile.toString(), 0);
    client.registerDisk("full", "odd", CloneMode.FULL, fullFile.toString());
    client.registerDisk("linked", "even", CloneMode.LINKED, "");
    catalog = ClusterCatalog.builder(client).journal(dir.resolve("nbd.journal")).refreshInterval(Duration.ofSeconds(1)).build();
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

  /** A full clone of its own, so that tests writing to it do not meet. */
  static Path fullClone(String id, byte[] content) throws IOException {
    Path file = dir.resolve(id + ".raw");
    Files.write(file, content);
    client.registerDisk(id, "odd", CloneMode.FULL, file.toString());
    return file;
  }

  @Test
  void nbdinfoListsEveryExportWithItsSize() {
    String list = Tools.run("nbdinfo", "--list", "nbd://127.0.0.1:" + server.port()).ok().out();
    for (String name : List.of("odd", "even", "full", "linked")) {
      assertTrue(list.contains("export=\"" + name + "\""), () -> name + " missing from\n" + list);
    }
    assertEquals(String.valueOf(ODD_SIZE), Tools.run("nbdinfo", "--size", uri("odd")).ok().out().trim());
    assertEquals(String.valueOf(EVEN_SIZE), Tools.run("nbdinfo", "--size", uri("even")).ok().out().trim());
    assertEquals(String.valueOf(ODD_SIZE), Tools.run("nbdinfo", "--size", uri("full")).ok().out().trim());
    assertEquals(String.valueOf(EVEN_SIZE), Tools.run("nbdinfo", "--size", uri("linked")).ok().out().trim());
    String image = Tools.run("nbdinfo", uri("odd")).ok().out();
    assertTrue(image.contains("is_read_only: true"), image);
    String disk = Tools.run("nbdinfo", uri("full")).ok().out();
    assertTrue(disk.contains("is_read_only: false") && disk.contains("can_flush: true"), disk);
  }

  @Test
  void qemuImgCompareFindsEveryExportEqualToItsBackingFile() {
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", oddFile.toString(), uri("odd")).ok();
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", evenFile.toString(), uri("even")).ok();
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", fullFile.toString(), uri("full")).ok();
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", evenFile.toString(), uri("linked")).ok();
    // Format probing reads the unaligned tail of the odd-sized export too.
    Tools.run("qemu-img", "compare", "-f", "raw", oddFile.toString(), uri("odd")).ok();
    // And a different file is told apart.
    assertNotEquals(0, Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", evenFile.toString(), uri("odd")).exit());
  }

  @Test
  void nbdcopyOfAnExportEqualsItsBackingFile() throws IOException {
    Path out = dir.resolve("copy-odd.raw");
    Tools.run("nbdcopy", uri("odd"), out.toString()).ok();
    assertArrayEquals(odd, Files.readAllBytes(out));
  }

  @Test
  void fourConcurrentNbdcopiesAreAllExact() throws IOException {
    List<String> exports = List.of("odd", "even", "linked", "odd");
    List<byte[]> expected = List.of(odd, even, even, odd);
    List<CompletableFuture<Tools.Result>> runs = new ArrayList<>();
    for (int i = 0; i < exports.size(); i++) {
      String out = dir.resolve("concurrent-" + i + ".raw").toString();
      String export = exports.get(i);
      runs.add(CompletableFuture.supplyAsync(() -> Tools.run("nbdcopy", uri(export), out)));
    }
    for (int i = 0; i < runs.size(); i++) {
      runs.get(i).join().ok();
      assertArrayEquals(expected.get(i), Files.readAllBytes(dir.resolve("concurrent-" + i + ".raw")), exports.get(i));
    }
  }

  @Test
  void qemuIoWritesToAFullCloneLandInItsFileAndReadBack() throws Exception {
    Path file = fullClone("rw1", odd);
    byte[] expected = odd.clone();
    Tools.run("qemu-io", "-f", "raw",
        "-c", "write -P 0xab 1000 5000",            // unaligned
        "-c", "read -P 0xab 1000 5000",
        "-c", "write -P 0xcd 65536 131072",         // aligned
        "-c", "read -P 0xcd 65536 131072",
        "-c", "write -z 300001 70001",              // write-zeroes, unaligned
        "-c", "read -P 0 300001 70001",
        "-c", "write -P 0xef " + (ODD_SIZE - 700) + " 700", // up to the odd end
        "-c", "read -P 0xef " + (ODD_SIZE - 700) + " 700",
        "-c", "flush",
        uri("rw1")).ok();
    Arrays.fill(expected, 1000, 6000, (byte) 0xab);
    Arrays.fill(expected, 65536, 65536 + 131072, (byte) 0xcd);
    Arrays.fill(expected, 300001, 300001 + 70001, (byte) 0);
    Arrays.fill(expected, ODD_SIZE - 700, ODD_SIZE, (byte) 0xef);

    assertArrayEquals(expected, Files.readAllBytes(file), "the disk's own file holds the writes");
    assertArrayEquals(odd, Files.readAllBytes(oddFile), "the image is unchanged");
    // A new connection reads the whole disk back: written blocks and untouched ones.
    Path expectedFile = Files.write(dir.resolve("rw1-expected.raw"), expected);
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", expectedFile.toString(), uri("rw1")).ok();
    // Random unaligned reads of written and unwritten ranges, checked against the expected bytes.
    Tools.run("qemu-io", "-f", "raw", "-r",
        "-c", "read -P 0xab 1500 100", "-c", "read -P 0 300001 1", "-c", "read -P 0xcd 70000 999",
        uri("rw1")).ok();

    // The writes were recorded into the disk's layer: the cluster serves them too.
    byte[] viaCluster = null;
    for (int i = 0; i < 300 && !Arrays.equals(expected, viaCluster); i++) {
      if (i > 0) Thread.sleep(100);
      viaCluster = client.readBlocking(Target.disk("rw1"), 0, ODD_SIZE);
    }
    assertArrayEquals(expected, viaCluster, "the cluster's layer of the disk follows its file");
    assertTrue(!client.isStale("rw1"));
  }

  @Test
  void aQcow2OverlayOverAnImageExportTakesTheWritesAndLeavesTheImageAlone() throws IOException {
    Path overlay = dir.resolve("vm1.qcow2");
    Tools.run("qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b", uri("odd"), overlay.toString()).ok();
    Tools.run("qemu-io", "-c", "write -P 0x5a 4096 65536", "-c", "write -P 0x33 1000 3000",
        "-c", "read -P 0x5a 4096 65536", overlay.toString()).ok();
    // Read back in a new process: the writes from the overlay, the rest through bootcache.
    Tools.run("qemu-io", "-r", "-c", "read -P 0x5a 4096 65536", "-c", "read -P 0x33 1000 3000",
        overlay.toString()).ok();
    Path flat = dir.resolve("vm1-flat.raw");
    Tools.run("qemu-img", "convert", "-O", "raw", overlay.toString(), flat.toString()).ok();
    byte[] expected = odd.clone();
    Arrays.fill(expected, 1000, 4000, (byte) 0x33);
    Arrays.fill(expected, 4096, 4096 + 65536, (byte) 0x5a);
    byte[] got = Files.readAllBytes(flat);
    // qemu rounds the overlay's size up to whole sectors; the rounding reads as zeros
    assertArrayEquals(expected, Arrays.copyOf(got, ODD_SIZE));
    for (int i = ODD_SIZE; i < got.length; i++) assertEquals(0, got[i]);
    assertArrayEquals(odd, Files.readAllBytes(oddFile), "the image file is unchanged");
  }

  @Test
  void readsThroughNbdAreRecordedAsABoot() throws Exception {
    Path file = dir.resolve("boot.raw");
    byte[] bytes = TestImages.write(file, 2 * 1024 * 1024, 3);
    client.registerImage("boot", file.toString(), 0);
    Tools.run("qemu-io", "-f", "raw", "-r", "-c", "read 0 65536", "-c", "read 1048576 8192", uri("boot")).ok();
    int boots = 0;
    for (int i = 0; i < 300 && boots == 0; i++) {
      if (i > 0) Thread.sleep(100);
      boots = client.profile("boot").getBoots();
    }
    assertEquals(1, boots, "one connection, one boot");
    List<Long> blocks = client.profile("boot").getBlocksList();
    assertEquals(16 + 2, blocks.size(), "the blocks the boot read: " + blocks);
    assertTrue(blocks.containsAll(List.of(0L, 15L, 256L, 257L)), blocks.toString());
    assertEquals(bytes.length, Files.size(file));
  }

  @Test
  void readsServedBeforeTheSessionStartedAreStillProfiled() throws Exception {
    Path file = dir.resolve("early.raw");
    byte[] bytes = TestImages.write(file, 1024 * 1024, 5);
    client.registerImage("early", file.toString(), 0);
    // no wait for StartBoot: the first reads are served before the session exists (as under load)
    try (ClusterCatalog eager = ClusterCatalog.builder(client).journal(dir.resolve("nbd.journal"))
             .sessionStartWait(Duration.ZERO).build();
         NbdServer server = NbdServer.builder().catalog(eager).listen("127.0.0.1", 0).start();
         RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      c.go("early");
      c.request(Nbd.CMD_READ, 0, 1, 0, 8192);
      assertArrayEquals(Arrays.copyOf(bytes, 8192), c.readSimpleReply(8192).data());
      c.request(Nbd.CMD_READ, 0, 2, 512 * 1024, 4096);
      assertArrayEquals(Arrays.copyOfRange(bytes, 512 * 1024, 512 * 1024 + 4096), c.readSimpleReply(4096).data());
      c.request(Nbd.CMD_DISC, 0, 3, 0, 0);
      assertTrue(c.closedByServer());
    }
    int boots = 0;
    for (int i = 0; i < 300 && boots == 0; i++) {
      if (i > 0) Thread.sleep(100);
      boots = client.profile("early").getBoots();
    }
    assertEquals(1, boots);
    assertEquals(List.of(0L, 1L, 128L), client.profile("early").getBlocksList(), "the boot's reads, however early");
  }

  @Test
  void aBootEndsWhenItsConnectionGoesIdleAndTheConnectionIsStillServed() throws Exception {
    Path file = dir.resolve("idle.raw");
    byte[] bytes = TestImages.write(file, 1024 * 1024, 4);
    client.registerImage("idle", file.toString(), 0);
    try (ClusterCatalog idleCatalog = ClusterCatalog.builder(client).journal(dir.resolve("nbd.journal")).idleTimeout(Duration.ofMillis(500))
        .refreshInterval(Duration.ofSeconds(1)).build();
      NbdServer idleServer = NbdServer.builder().catalog(idleCatalog).listen("127.0.0.1", 0).start();
      RawNbdClient c = new RawNbdClient(idleServer.port()).greet()) {
      c.go("idle");
      c.request(Nbd.CMD_READ, 0, 1, 0, 8192);
      assertArrayEquals(Arrays.copyOf(bytes, 8192), c.readSimpleReply(8192).data());
      // The connection stays open and quiet: the boot ends by itself and is merged into the profile.
      int boots = 0;
      for (int i = 0; i < 300 && boots == 0; i++) {
        Thread.sleep(100);
        boots = client.profile("idle").getBoots();
      }
      assertEquals(1, boots);
      assertEquals(List.of(0L, 1L), client.profile("idle").getBlocksList());
      // Later reads are served, not recorded.
      c.request(Nbd.CMD_READ, 0, 2, 512 * 1024, 4096);
      assertArrayEquals(Arrays.copyOfRange(bytes, 512 * 1024, 512 * 1024 + 4096), c.readSimpleReply(4096).data());
      c.request(Nbd.CMD_DISC, 0, 3, 0, 0);
      assertTrue(c.closedByServer());
    }
    assertEquals(List.of(0L, 1L), client.profile("idle").getBlocksList());
    assertEquals(1, client.profile("idle").getBoots());
  }

  @Test
  void nbdcopyIntoAFullCloneWritesEveryByteToItsFileAndItsLayer() throws Exception {
    Path file = fullClone("rw2", odd);
    Path source = dir.resolve("new-content.raw");
    byte[] content = TestImages.write(source, ODD_SIZE, 5);
    // nbdcopy writes with several connections and many requests in flight on each.
    Tools.run("nbdcopy", "--flush", source.toString(), uri("rw2")).ok();
    assertArrayEquals(content, Files.readAllBytes(file));
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", source.toString(), uri("rw2")).ok();
    assertArrayEquals(content, readDiskThroughTheCluster("rw2", content), "the disk's layer in the cluster");
  }

  @Test
  void writesAfterTheBootEndedAreStillRecorded() throws Exception {
    fullClone("rw3", odd);
    byte[] expected = odd.clone();
    try (ClusterCatalog idleCatalog = ClusterCatalog.builder(client).journal(dir.resolve("nbd.journal")).idleTimeout(Duration.ofMillis(300)).build();
      NbdServer idleServer = NbdServer.builder().catalog(idleCatalog).listen("127.0.0.1", 0).start();
      RawNbdClient c = new RawNbdClient(idleServer.port()).greet()) {
      c.go("rw3");
      c.request(Nbd.CMD_WRITE, 0, 1, 4096, 3, new byte[] {1, 2, 3});
      assertEquals(0, c.readSimpleReply(0).error());
      for (int i = 0; i < 300 && !idleCatalog.bootsEnded(); i++) {
        Thread.sleep(50);
      }
      assertTrue(idleCatalog.bootsEnded(), "the idle boot ended");
      byte[] later = new byte[10_000];
      Arrays.fill(later, (byte) 0x42);
      c.request(Nbd.CMD_WRITE, Nbd.CMD_FLAG_FUA, 2, 100_000, later.length, later);
      assertEquals(0, c.readSimpleReply(0).error());
      c.request(Nbd.CMD_DISC, 0, 3, 0, 0);
      assertTrue(c.closedByServer());
      expected[4096] = 1;
      expected[4097] = 2;
      expected[4098] = 3;
      System.arraycopy(later, 0, expected, 100_000, later.length);
    }
    assertArrayEquals(expected, readDiskThroughTheCluster("rw3", expected));
    assertTrue(!client.isStale("rw3"));
  }

  /** The disk as the cluster serves it, once it equals what is expected (recording is asynchronous). */
  static byte[] readDiskThroughTheCluster(String disk, byte[] expected) throws InterruptedException {
    byte[] got = null;
    for (int i = 0; i < 300 && !Arrays.equals(expected, got); i++) {
      if (i > 0) Thread.sleep(100);
      got = client.readBlocking(Target.disk(disk), 0, expected.length);
    }
    return got;
  }

  @Test
  void badInputGetsTheRightErrorAndTheServerGoesOn() throws IOException {
    Tools.Result unknown = Tools.run("nbdinfo", uri("no-such-export"));
    assertNotEquals(0, unknown.exit());
    assertTrue(unknown.err().contains("no-such-export"), unknown.err());

    Tools.Result readOnly = Tools.run("qemu-io", "-f", "raw", "-c", "write 0 512", uri("odd"));
    assertNotEquals(0, readOnly.exit(), "qemu-io opened an image export for writing");

    try (RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      c.go("odd");
      c.request(Nbd.CMD_READ, 0, 1, ODD_SIZE - 1, 2);
      assertEquals(Nbd.EINVAL, c.readSimpleReply(2).error());
      c.request(Nbd.CMD_WRITE, 0, 2, 0, 512, new byte[512]);
      assertEquals(Nbd.EPERM, c.readSimpleReply(0).error());
      c.out.writeInt(0x12345678); // bad magic
      c.out.write(new byte[24]);
      c.out.flush();
      assertTrue(c.closedByServer());
    }
    try (RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      c.go("full");
      c.request(Nbd.CMD_WRITE, 0, 1, ODD_SIZE - 1, 2, new byte[2]);
      assertEquals(Nbd.ENOSPC, c.readSimpleReply(0).error());
      c.request(Nbd.CMD_WRITE, 0, 2, 0, 65536, null);
      c.out.write(new byte[100]); // and vanish mid-request
      c.out.flush();
    }
    assertArrayEquals(odd, Files.readAllBytes(fullFile), "nothing was written");
    Path out = dir.resolve("after-bad-input.raw");
    Tools.run("nbdcopy", uri("odd"), out.toString()).ok();
    assertArrayEquals(odd, Files.readAllBytes(out));
  }
}
