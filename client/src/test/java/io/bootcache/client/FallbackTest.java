package io.bootcache.client;

import io.bootcache.node.LocalCluster;
import io.bootcache.v1.CloneMode;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When the cluster cannot answer, the client reads the backend itself and the VM never notices, for
 * every target a file holds: images and full clones. A linked clone has no such file: its reads fail.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FallbackTest {
  static final int SIZE = 1024 * 1024 + 777;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static byte[] image;
  static byte[] fullClone;
  static Path imageFile;
  static Path cloneFile;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    imageFile = dir.resolve("img.raw");
    cloneFile = dir.resolve("vm-full.raw");
    image = TestImages.write(imageFile, SIZE, 1);
    fullClone = image.clone();
    java.nio.file.Files.write(cloneFile, fullClone);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  @Order(1)
  void staleDisksAreReadFromTheirTrueFiles() throws Exception {
    try (BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      client.registerImage("img", imageFile.toString(), 0);
      client.registerDisk("vm-full", "img", CloneMode.FULL, cloneFile.toString());
      client.registerDisk("vm-stale-linked", "img", CloneMode.LINKED, "");
      // The hypervisor wrote to the full clone's own file, and the write never reached the cluster.
      fullClone[5000] ^= 0x5a;
      java.nio.file.Files.write(cloneFile, fullClone);
      client.markStale("vm-full", "test: a write was lost").get();
      client.markStale("vm-stale-linked", "test: a write was lost").get();
      assertTrue(client.isStale("vm-full"));
      // This client knows: it does not ask the cluster at all.
      assertArrayEquals(TestImages.slice(fullClone, 4096, 4096), client.readBlocking(Target.disk("vm-full"), 4096, 4096));
      assertEquals(1, client.clientStats().fallbackReads());
    }
    // A fresh client knows nothing locally. The node serves a stale full clone from its own file, and
    // refuses a stale linked clone (FAILED_PRECONDITION): no file holds its writes, and its image's file
    // would serve the image's bytes in their place, so the refusal reaches the caller.
    try (BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      assertArrayEquals(TestImages.slice(fullClone, 4096, 4096), client.readBlocking(Target.disk("vm-full"), 4096, 4096));
      ReadTest.assertStatus(GrpcStatus.FAILED_PRECONDITION, client.read(Target.disk("vm-stale-linked"), 8000, 5000));
      assertEquals(0, client.clientStats().fallbackReads(), client.clientStats().toString());
      assertArrayEquals(TestImages.slice(image, 4096, 4096), client.readBlocking(Target.image("img"), 4096, 4096));
      assertEquals(0, client.clientStats().fallbackReads(), "the image itself is still served by the cluster");
    }
  }

  @Test
  @Order(2)
  void nothingListeningMeansTheGivenLocationIsRead() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    try (BootCacheClient client = BootCacheClient.builder().nodes("127.0.0.1:" + deadPort)
        .location("img", imageFile).deadline(Duration.ofSeconds(1)).build()) {
      checkRandomReads(client, Target.image("img"), image);
      assertEquals(client.clientStats().requests(), client.clientStats().fallbackReads());
      ReadTest.assertStatus(GrpcStatus.OUT_OF_RANGE, client.read(Target.image("img"), SIZE - 1, 2));
    }
  }

  @Test
  @Order(3)
  void aClosedClusterIsNotNoticed() throws Exception {
    try (BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).deadline(Duration.ofSeconds(1)).build()) {
      client.registerDisk("vm-linked", "img", CloneMode.LINKED, "");
      client.images(); // the client learns the backing files while the cluster is up
      client.disks();
      assertArrayEquals(TestImages.slice(image, 0, 4096), client.readBlocking(Target.image("img"), 0, 4096));
      assertEquals(0, client.clientStats().fallbackReads());

      cluster.close();
      cluster = null;

      long before = client.clientStats().fallbackReads();
      checkRandomReads(client, Target.image("img"), image);
      checkRandomReads(client, Target.disk("vm-full"), fullClone);
      assertTrue(client.clientStats().fallbackReads() >= before + 100, client.clientStats().toString());
      // a linked clone's writes live only in the cluster: with it gone, its reads fail rather than show the image
      ReadTest.assertStatus(GrpcStatus.UNAVAILABLE, client.read(Target.disk("vm-linked"), 0, 4096));
    }
  }

  static void checkRandomReads(BootCacheClient client, Target t, byte[] expected) {
    Random rnd = new Random(3);
    for (int i = 0; i < 50; i++) {
      int length = 1 + rnd.nextInt(20_000);
      long offset = rnd.nextInt(SIZE - length + 1);
      assertArrayEquals(TestImages.slice(expected, offset, length), client.readBlocking(t, offset, length), t + " at " + offset + "+" + length);
    }
  }
}
