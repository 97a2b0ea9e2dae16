package io.bootcache.client.nbd;

import io.bootcache.nbd.NbdServer;
import io.bootcache.nbd.Tools;
import io.bootcache.cli.Main;
import io.bootcache.cli.NbdCommand;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.TestImages;
import io.bootcache.node.LocalCluster;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.DiskState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster goes away under a running NBD server: exports stay listed (the last list the cluster
 * gave), reads come from the backing files, writes to a full clone still land in its file (and the
 * disk is marked stale, since the cluster did not get them). The VM sees no error and no wrong byte.
 */
class NbdClusterDownTest {
  static final int SIZE = 3 * 1024 * 1024 + 4000; // not a multiple of 4096

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static BootCacheClient client;
  static ClusterCatalog catalog;
  static NbdServer server;

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
  void readsAndWritesKeepWorkingWhenTheClusterIsUnreachable() throws Exception {
    Tools.require("nbdinfo", "nbdcopy", "qemu-img", "qemu-io");
    Path imageFile = dir.resolve("img.raw");
    Path diskFile = dir.resolve("vm.raw");
    byte[] image = TestImages.write(imageFile, SIZE, 11);
    Files.write(diskFile, image);
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    client = BootCacheClient.builder().nodes(cluster.grpcAddresses())
        .deadline(Duration.ofSeconds(1)).adminDeadline(Duration.ofSeconds(3)).retries(1).build();
    client.registerImage("img", imageFile.toString(), 0);
    client.registerDisk("vm", "img", CloneMode.FULL, diskFile.toString());
    catalog = ClusterCatalog.builder(client).journal(dir.resolve("nbd.journal")).refreshInterval(Duration.ZERO).exportCache(dir.resolve("exports.bin")).build();
    server = NbdServer.builder().catalog(catalog).listen("127.0.0.1", 0).start();
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", imageFile.toString(), uri("img")).ok();

    String grpcAddress = cluster.grpcAddresses().get(0);
    cluster.close();
    cluster = null;

    String list = Tools.run("nbdinfo", "--list", "nbd://127.0.0.1:" + server.port()).ok().out();
    assertTrue(list.contains("export=\"img\"") && list.contains("export=\"vm\"")
        && list.contains("export-size: " + SIZE), list);
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", imageFile.toString(), uri("img")).ok();
    Path copy = dir.resolve("copy.raw");
    Tools.run("nbdcopy", uri("vm"), copy.toString()).ok();
    assertArrayEquals(image, Files.readAllBytes(copy));

    // A linked clone boots over the image export.
    Path overlay = dir.resolve("vm1.qcow2");
    Tools.run("qemu-img", "create", "-f", "qcow2", "-F", "raw", "-b", uri("img"), overlay.toString()).ok();
    Tools.run("qemu-io", "-c", "write -P 0x77 8192 4096", "-c", "read -P 0x77 8192 4096", overlay.toString()).ok();

    // A full clone takes writes into its own file.
    Tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x99 5000 10000", "-c", "read -P 0x99 5000 10000",
        "-c", "flush", uri("vm")).ok();
    byte[] expected = image.clone();
    Arrays.fill(expected, 5000, 15000, (byte) 0x99);
    assertArrayEquals(expected, Files.readAllBytes(diskFile));
    Path expectedFile = Files.write(dir.resolve("expected.raw"), expected);
    Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", expectedFile.toString(), uri("vm")).ok();
    assertTrue(client.isStale("vm"), "a write the cluster did not get marks the disk stale");
    assertTrue(Files.readString(dir.resolve("nbd.journal")).startsWith("vm\t"),
        "the mark was forced into the local journal before the write was acknowledged");
    assertArrayEquals(image, Files.readAllBytes(imageFile));

    // The server stops (as a crash would, its mark untold), and `bootcache nbd --export-cache`,
    // started while the cluster is still down, serves the saved list.
    server.close();
    server = null;
    catalog.close();
    catalog = null;
    client.close();
    client = null;
    NbdCommand.Running restarted = startCommand("--node", grpcAddress, "nbd", "--listen", "127.0.0.1:0",
        "--export-cache", dir.resolve("exports.bin").toString(), "--read-deadline", "500",
        "--journal", dir.resolve("nbd.journal").toString());
    try (restarted) {
      assertTrue(restarted.client().isStale("vm"), "the restarted server read its journal before serving");
      String at = "nbd://127.0.0.1:" + restarted.server().port() + "/";
      String saved = Tools.run("nbdinfo", "--list", "nbd://127.0.0.1:" + restarted.server().port()).ok().out();
      assertTrue(saved.contains("export=\"img\"") && saved.contains("export=\"vm\""), saved);
      Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", imageFile.toString(), at + "img").ok();
      Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", expectedFile.toString(), at + "vm").ok();

      // The cluster comes back (from its data directory, which knew the disk as active): the
      // restarted server tells it, so the cluster does not serve the layer that lacks the write.
      int port = Integer.parseInt(grpcAddress.substring(grpcAddress.lastIndexOf(':') + 1));
      cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).configure(b -> b.grpcPort(port)).start();
      try (BootCacheClient fresh = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (diskState(fresh, "vm") != DiskState.STALE && System.nanoTime() < until) Thread.sleep(200);
        assertEquals(DiskState.STALE, diskState(fresh, "vm"), "the journal's mark reached the cluster");
      }
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (Files.size(dir.resolve("nbd.journal")) > 0 && System.nanoTime() < until) Thread.sleep(100);
      assertEquals(0, Files.size(dir.resolve("nbd.journal")), "told, the journal forgets the mark");
    }
  }

  static DiskState diskState(BootCacheClient c, String id) {
    return c.disks().stream().filter(d -> d.getId().equals(id)).findFirst().orElseThrow().getState();
  }

  static NbdCommand.Running startCommand(String... args) {
    CommandLine cl = Main.commandLine(new Main());
    CommandLine.ParseResult parsed = cl.parseArgs(args);
    NbdCommand nbd = (NbdCommand) parsed.subcommand().commandSpec().userObject();
    return nbd.start();
  }
}
