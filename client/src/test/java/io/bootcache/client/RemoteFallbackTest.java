package io.bootcache.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.backends.ImageServers;
import io.bootcache.backends.RangeHttpServer;
import io.bootcache.node.LocalCluster;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With no node to answer, the client reads an image where it lives, as the node would: an nbdkit
 * export (TCP or Unix socket) or an object of a real HTTP server, pinned to the version registered.
 */
class RemoteFallbackTest {
  static final int SIZE = 2 * 1024 * 1024 + 333;

  @TempDir
  static Path dir;
  static Path images;
  static byte[] content;
  static ImageServers servers;
  static RangeHttpServer http;

  @BeforeAll
  static void serve() throws Exception {
    images = Files.createDirectories(dir.resolve("images"));
    content = TestImages.write(images.resolve("golden.raw"), SIZE, 9);
    TestImages.write(images.resolve("replaced.raw"), SIZE, 10);
    servers = new ImageServers(dir, images);
    http = servers.http;
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  @Test
  void aClientWhoseClusterIsGoneReadsNbdAndHttpImagesItself() throws Exception {
    LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    try (BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).deadline(Duration.ofSeconds(1)).build()) {
      try {
        client.registerImage("nbd-img", servers.nbd("golden.raw"), 0);
        client.registerImage("unix-img", servers.nbdUnix("golden.raw"), 0);
        client.registerImage("http-img", http.url("golden.raw"), 0);
        client.registerImage("replaced-img", http.url("replaced.raw"), 0);
        client.images(); // the client learns where the images live while the cluster is up
      } finally {
        cluster.close();
      }
      for (String id : List.of("nbd-img", "unix-img", "http-img")) {
        long before = client.clientStats().fallbackReads();
        checkBootReads(client, Target.image(id));
        assertTrue(client.clientStats().fallbackReads() > before, id + ": " + client.clientStats());
        ReadTest.assertStatus(GrpcStatus.OUT_OF_RANGE, client.read(Target.image(id), SIZE - 1, 2));
      }
      // the object behind an image changed after it was registered: refused, never mixed with the old one
      Path replaced = images.resolve("replaced.raw");
      Files.write(replaced, content);
      Files.setLastModifiedTime(replaced, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
      BootCacheException refused = ReadTest.assertStatus(GrpcStatus.UNAVAILABLE, client.read(Target.image("replaced-img"), 0, 4096));
      assertTrue(refused.getMessage().contains("changed"), refused.getMessage());
    }
  }

  @Test
  void aGivenNbdOrHttpLocationIsReadWhenNoNodeListens() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    try (BootCacheClient client = BootCacheClient.builder().nodes("127.0.0.1:" + deadPort)
        .location("over-nbd", servers.nbd("golden.raw")).location("over-http", http.url("golden.raw"))
        .deadline(Duration.ofSeconds(1)).build()) {
      checkBootReads(client, Target.image("over-nbd"));
      checkBootReads(client, Target.image("over-http"));
      assertEquals(client.clientStats().requests(), client.clientStats().fallbackReads());
    }
  }

  /** A boot's shape: the first sector, long reads, scattered short ones, the tail. */
  static void checkBootReads(BootCacheClient client, Target t) {
    long[][] fixed = {{0, 512}, {0, 65536}, {1 << 20, 128 * 1024}, {SIZE - 333, 333}};
    for (long[] r : fixed) {
      assertArrayEquals(TestImages.slice(content, r[0], r[1]), client.readBlocking(t, r[0], (int) r[1]), t + " at " + r[0]);
    }
    Random rnd = new Random(4);
    for (int i = 0; i < 30; i++) {
      int length = 1 + rnd.nextInt(20_000);
      long offset = rnd.nextInt(SIZE - length + 1);
      assertArrayEquals(TestImages.slice(content, offset, length), client.readBlocking(t, offset, length), t + " at " + offset + "+" + length);
    }
  }
}
