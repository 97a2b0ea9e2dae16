package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.RecordEvents.readDisk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.nbd.Nbd;
import io.bootcache.nbd.RawNbdClient;
import io.bootcache.nbd.Tools;
import io.bootcache.node.read.HostTier;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.GetProfileRequest;
import io.bootcache.v1.GetStatsRequest;
import io.bootcache.v1.MarkStaleRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's own NBD server (--nbd, --nbd-socket) on a real two-node cluster, driven by the real
 * tools: every export byte for byte against its file, warm reads from the host tier with no backend
 * read, a full clone's writes in its file and its layer, each connection a boot.
 */
class NodeNbdTest {
  static final int ODD = 5 * 1024 * 1024 + 1234; // not a multiple of 512
  static final int EVEN = 4 * 1024 * 1024;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node0;
  static Path oddFile;
  static Path evenFile;
  static byte[] odd;
  static byte[] even;

  @BeforeAll
  static void start() throws Exception {
    Tools.require("nbdinfo", "nbdcopy", "qemu-img", "qemu-io");
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data")).nbd().start();
    client = new GrpcTestClient();
    node0 = client.to(cluster.grpcAddresses().get(0));
    oddFile = TestFiles.random(dir, "odd.raw", ODD, 1);
    evenFile = TestFiles.random(dir, "even.raw", EVEN, 2);
    odd = Files.readAllBytes(oddFile);
    even = Files.readAllBytes(evenFile);
    await(node0.registerImage(RegisterImageRequest.newBuilder().setId("odd").setLocation(oddFile.toString()).build()));
    await(node0.registerImage(RegisterImageRequest.newBuilder().setId("even").setLocation(evenFile.toString()).build()));
    await(node0.registerDisk(RegisterDiskRequest.newBuilder().setId("linked").setImageId("even").setMode(CloneMode.LINKED).build()));
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  static String uri(int node, String export) {
    return "nbd://127.0.0.1:" + cluster.node(node).nbdPort() + "/" + export;
  }

  static Path fullClone(String id, byte[] content) throws Exception {
    Path file = Files.write(dir.resolve(id + ".raw"), content);
    await(node0.registerDisk(RegisterDiskRequest.newBuilder().setId(id).setImageId("odd").setMode(CloneMode.FULL)
        .setLocation(file.toString()).build()));
    return file;
  }

  @Test
  void nbdinfoListsEveryImageAndDiskWithItsSize() {
    String list = Tools.run("nbdinfo", "--list", "nbd://127.0.0.1:" + cluster.node(0).nbdPort()).ok().out();
    for (String name : List.of("odd", "even", "linked")) assertTrue(list.contains("export=\"" + name + "\""), list);
    assertEquals(String.valueOf(ODD), Tools.run("nbdinfo", "--size", uri(1, "odd")).ok().out().trim());
    assertTrue(Tools.run("nbdinfo", uri(0, "odd")).ok().out().contains("is_read_only: true"));
  }

  @Test
  void everyExportEqualsItsFileOnEveryNode() throws Exception {
    Path full = fullClone("full-cmp", odd);
    for (int n = 0; n < 2; n++) {
      Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", oddFile.toString(), uri(n, "odd")).ok();
      Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", evenFile.toString(), uri(n, "linked")).ok();
      Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", full.toString(), uri(n, "full-cmp")).ok();
    }
    assertNotEquals(0, Tools.run("qemu-img", "compare", "-f", "raw", "-F", "raw", evenFile.toString(), uri(0, "odd")).exit());
  }

  @Test
  void aWarmCopyComesFromTheHostTierWithoutABackendRead() throws Exception {
    Path copy = dir.resolve("copy.raw");
    Tools.run("nbdcopy", uri(1, "even"), copy.toString()).ok(); // a boot: read, admitted, held on node 1
    assertArrayEquals(even, Files.readAllBytes(copy));
    long backend = backendReads();
    long hostHits = cluster.node(1).services().host().hits();
    Files.delete(copy);
    Tools.run("nbdcopy", "--connections=1", uri(1, "even"), copy.toString()).ok();
    assertArrayEquals(even, Files.readAllBytes(copy));
    assertEquals(backend, backendReads(), "a warm copy reads nothing from the backend");
    assertTrue(cluster.node(1).services().host().hits() - hostHits >= EVEN / 4096, "every block from node 1's tier");
  }

  @Test
  void aUnixSocketServesTheSameBytes() throws Exception {
    Path copy = dir.resolve("copy-unix.raw");
    Path socket = cluster.node(0).config().nbdSocket();
    Tools.run("nbdcopy", "nbd+unix:///odd?socket=" + socket, copy.toString()).ok();
    assertArrayEquals(odd, Files.readAllBytes(copy));
  }

  @Test
  void aFullClonesWritesLandInItsFileAndItsLayer() throws Exception {
    Path file = fullClone("rw", odd);
    Tools.run("qemu-io", "-f", "raw", "-c", "write -P 0x5a 4096 8192", "-c", "write -P 0x33 100 10",
        "-c", "flush", uri(0, "rw")).ok();
    byte[] want = odd.clone();
    Arrays.fill(want, 4096, 4096 + 8192, (byte) 0x5a);
    Arrays.fill(want, 100, 110, (byte) 0x33);
    assertArrayEquals(want, Files.readAllBytes(file), "the file has the writes");
    assertArrayEquals(Arrays.copyOf(want, 16384), readDisk(node0, "rw", 0, 16384), "the layer has them: gRPC reads them");
    Path copy = dir.resolve("copy-rw.raw");
    Tools.run("nbdcopy", uri(1, "rw"), copy.toString()).ok();
    assertArrayEquals(want, Files.readAllBytes(copy), "and the other node's NBD serves them");
  }

  @Test
  void eachConnectionIsABootWhoseReadsFormTheProfile() throws Exception {
    await(node0.registerImage(RegisterImageRequest.newBuilder().setId("profiled").setLocation(evenFile.toString()).build()));
    Tools.run("qemu-io", "-f", "raw", "-r", "-c", "read 8192 4096", "-c", "read 65536 512", uri(0, "profiled")).ok();
    BootProfile p = null;
    for (int i = 0; i < 100 && (p == null || p.getBoots() == 0); i++) {
      Thread.sleep(100); // the boot ends as the connection closes, off the network thread
      p = await(node0.getProfile(GetProfileRequest.newBuilder().setImageId("profiled").build()));
    }
    assertEquals(1, p.getBoots());
    assertTrue(p.getBlocksList().containsAll(List.of(2L, 16L)), p.getBlocksList().toString());
  }

  @Test
  void aStaleLinkedCloneIsAnIoErrorNotItsImage() throws Exception {
    await(node0.registerDisk(RegisterDiskRequest.newBuilder().setId("gone").setImageId("even").setMode(CloneMode.LINKED).build()));
    await(node0.markStale(MarkStaleRequest.newBuilder().setDiskId("gone").setReason("test").build()));
    Tools.Result r = Tools.run("qemu-io", "-f", "raw", "-r", "-c", "read -v 0 512", uri(0, "gone"));
    assertTrue((r.out() + r.err()).contains("Input/output error"), r.out() + r.err());
  }

  @Test
  void aBootOfAProfiledImagePrefetchesItsBlocksIntoTheHostTierAhead() throws Exception {
    await(node0.registerImage(RegisterImageRequest.newBuilder().setId("pf").setLocation(evenFile.toString()).build()));
    // a first boot, on node 0, reads 16 blocks at 0 and 16 at 1 MiB: the profile
    Tools.run("qemu-io", "-f", "raw", "-r", "-c", "read 0 64k", "-c", "read 1M 64k", uri(0, "pf")).ok();
    for (int i = 0; i < 100 && await(node0.getProfile(GetProfileRequest.newBuilder().setImageId("pf").build())).getBoots() == 0; i++) {
      Thread.sleep(100);
    }
    HostTier tier = cluster.node(1).services().host();
    long prefetched = tier.prefetched();
    long used = tier.prefetchUsed();
    long backend = backendReads();
    // a second boot, on node 1: its connection alone starts the prefetch, before the VM reads anything
    try (RawNbdClient vm = new RawNbdClient(cluster.node(1).nbdPort()).greet()) {
      vm.go("pf");
      for (int i = 0; i < 100 && tier.prefetched() - prefetched < 32; i++) Thread.sleep(50);
      assertEquals(32, tier.prefetched() - prefetched, "the profile's 32 blocks are on node 1 before the VM asks");
      vm.request(Nbd.CMD_READ, 0, 1, 1 << 20, 65536);
      assertArrayEquals(Arrays.copyOfRange(even, 1 << 20, (1 << 20) + 65536), vm.readSimpleReply(65536).data());
    }
    assertEquals(16, tier.prefetchUsed() - used, "the VM read 16 of the prefetched blocks");
    assertEquals(backend, backendReads(), "the first boot admitted them: the prefetch read the cluster, not the backend");
  }

  static long backendReads() {
    long total = 0;
    for (BootCacheNode n : cluster.nodes()) total += n.services().metrics().backendReads.getCount();
    return total;
  }
}
