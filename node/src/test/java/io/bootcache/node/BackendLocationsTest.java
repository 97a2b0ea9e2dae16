package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.backends.ImageServers;
import io.bootcache.backends.RangeHttpServer;
import io.bootcache.nbd.Tools;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.Image;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images where they live: a real node reads a file, an NBD export of nbdkit (over TCP and a Unix
 * socket) and an object of a real HTTP server; a boot's reads through gRPC and through the node's
 * own NBD server are the file's bytes, and the backend rate limit holds for every kind.
 */
class BackendLocationsTest {
  static final int SIZE = 3 * 1024 * 1024 + 777; // not a multiple of any block size
  static final int IOPS = 100;

  @TempDir
  static Path dir;
  static Path images;
  static byte[] content;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node;
  static ImageServers servers;
  static RangeHttpServer http;

  @BeforeAll
  static void start() throws Exception {
    Tools.require("nbdcopy");
    images = Files.createDirectories(dir.resolve("images"));
    content = Files.readAllBytes(TestFiles.random(images, "golden.raw", SIZE, 5));
    TestFiles.random(images, "rate-http.raw", 2 << 20, 6);
    TestFiles.random(images, "rate-nbd.raw", 2 << 20, 7);
    servers = new ImageServers(dir, images);
    http = servers.http;
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).nbd().configure(b -> b.backendIops(IOPS)).start();
    client = new GrpcTestClient();
    node = client.to(cluster.grpcAddresses().get(0));
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    cluster.close();
    servers.close();
  }

  static Image register(String id, String location) {
    return await(node.registerImage(RegisterImageRequest.newBuilder().setId(id).setLocation(location).build()));
  }

  @Test
  void everyKindServesABootsReadsByteIdenticalToTheFileOverGrpcAndNbd() throws Exception {
    Map<String, String> locations = Map.of(
        "from-file", images.resolve("golden.raw").toString(),
        "from-nbd", servers.nbd("golden.raw"),
        "from-nbd-unix", servers.nbdUnix("golden.raw"),
        "from-http", http.url("golden.raw"));
    // a boot's shape: the boot sector, the partition table, a kernel's long reads, scattered metadata, the tail
    long[][] boot = {{0, 512}, {0, 65536}, {1 << 20, 128 * 1024}, {(1 << 20) + 3, 4093}, {2 << 20, 512 * 1024},
        {SIZE - 777, 777}, {SIZE - 5000, 5000}, {2_500_001, 70_000}};
    for (Map.Entry<String, String> e : locations.entrySet()) {
      String id = e.getKey();
      Image image = register(id, e.getValue());
      assertEquals(SIZE, image.getSize(), id);
      assertEquals(id.equals("from-http"), !image.getSourceEtag().isEmpty(), id + " records its version: " + image);
      for (long[] r : boot) {
        FetchResponse answer = await(node.fetch(image(id, r[0], r[1])));
        assertArrayEquals(Arrays.copyOfRange(content, (int) r[0], (int) (r[0] + r[1])),
            verifiedRange(answer, r[0], (int) r[1]), id + " at " + r[0] + "+" + r[1]);
      }
      String export = "nbd://127.0.0.1:" + cluster.node(0).nbdPort() + "/" + id;
      for (String pass : List.of("cold", "warm")) {
        Path copy = dir.resolve(id + "-" + pass + ".raw");
        long before = backendReads();
        Tools.run("nbdcopy", export, copy.toString()).ok();
        assertArrayEquals(content, Files.readAllBytes(copy), id + " copied " + pass + " through the node's NBD server");
        if (pass.equals("warm")) assertEquals(before, backendReads(), id + ": a warm copy reads nothing from the backend");
      }
    }
  }

  @Test
  void registrationRefusesWhatCannotBeReadWithAClearStatus() throws Exception {
    assertRefused(GrpcStatus.INVALID_ARGUMENT, "404", "missing", http.url("missing.raw"));
    assertRefused(GrpcStatus.INVALID_ARGUMENT, "refused export", "unknown-export", servers.nbd("missing.raw"));
    assertRefused(GrpcStatus.INVALID_ARGUMENT, "no host", "no-host", "nbd:///golden.raw");
    http.honourRanges(false);
    try {
      assertRefused(GrpcStatus.INVALID_ARGUMENT, "does not honour Range", "no-ranges", http.url("golden.raw"));
    } finally {
      http.honourRanges(true);
    }
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    assertRefused(GrpcStatus.UNAVAILABLE, "cannot reach", "down-http", "http://127.0.0.1:" + closed + "/golden.raw");
    assertRefused(GrpcStatus.UNAVAILABLE, "cannot reach", "down-nbd", "nbd://127.0.0.1:" + closed + "/golden.raw");

    register("clone-base", http.url("golden.raw"));
    GrpcTestClient.Refusal full = client.refusal(cluster.grpcAddresses().get(0), BootCacheGrpcClient.RegisterDisk,
        RegisterDiskRequest.newBuilder().setId("remote-full").setImageId("clone-base").setMode(CloneMode.FULL)
            .setLocation(http.url("golden.raw")).build());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, full.status());
    assertTrue(full.message().contains("not a local file"), full.message());
  }

  static void assertRefused(GrpcStatus status, String says, String id, String location) {
    GrpcTestClient.Refusal r = client.refusal(cluster.grpcAddresses().get(0), BootCacheGrpcClient.RegisterImage,
        RegisterImageRequest.newBuilder().setId(id).setLocation(location).build());
    assertEquals(status, r.status(), location + ": " + r.message());
    assertTrue(r.message().contains(says), location + ": " + r.message());
  }

  @Test
  void theBackendRateLimitHoldsForHttpAndNbd() throws Exception {
    register("rate-http", http.url("rate-http.raw"));
    register("rate-nbd", servers.nbd("rate-nbd.raw"));
    for (String id : List.of("rate-http", "rate-nbd")) {
      int reads = IOPS + IOPS / 2;
      // scattered blocks, all asked at once, outside a boot session (so never admitted): one backend read each
      long t0 = System.nanoTime();
      long before = backendReads();
      List<Future<FetchResponse>> asked = new ArrayList<>();
      for (int i = 0; i < reads; i++) asked.add(node.fetch(image(id, (long) i * 8192, 4096)));
      for (Future<FetchResponse> f : asked) await(f);
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      long done = backendReads() - before;
      assertTrue(done >= reads, id + ": " + done + " backend reads for " + reads + " scattered blocks");
      assertTrue(millis >= (done - 1) * 1000 / IOPS, id + ": " + done + " backend reads took " + millis + " ms at " + IOPS + " IOPS");
    }
    // the HTTP server's own view: no second saw more range GETs than the cap, give or take the
    // scheduling jitter between the limiter's turn and the request's arrival (5 %; unpaced, all
    // 150 would arrive within the same second)
    List<Long> times = new ArrayList<>(http.rangeGetTimes());
    Collections.sort(times);
    int j = 0;
    for (int i = 0; i < times.size(); i++) {
      while (times.get(i) - times.get(j) >= TimeUnit.SECONDS.toNanos(1)) j++;
      assertTrue(i - j + 1 <= IOPS + IOPS / 20, (i - j + 1) + " range GETs within one second, cap " + IOPS);
    }
    assertTrue(times.size() > IOPS, times.size() + " range GETs: too few to test the cap");
  }

  static long backendReads() {
    return cluster.node(0).services().metrics().backendReads.getCount();
  }
}
