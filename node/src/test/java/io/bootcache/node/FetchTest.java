package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.settledStats;
import static io.bootcache.node.GrpcTestClient.statusOf;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.Image;
import io.bootcache.v1.ListImagesRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.Stats;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One real node over gRPC on loopback, real files as the backend. */
class FetchTest {
  @TempDir static Path dir;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node;
  static byte[] content;
  static final long SIZE = 3 * 1024 * 1024 + 1234; // the last block is partial

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    client = new GrpcTestClient();
    node = client.to(cluster.grpcAddresses().get(0));
    Path f = TestFiles.random(dir, "debian.raw", SIZE, 1);
    content = Files.readAllBytes(f);
    await(node.registerImage(RegisterImageRequest.newBuilder().setId("debian").setLocation(f.toString()).build()));
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  @Test
  void bytesEqualTheFileForRandomRanges() {
    Random rnd = new Random(7);
    for (int i = 0; i < 200; i++) {
      long offset = i % 10 == 0 ? SIZE - 1 - rnd.nextInt(5000) : (long) (rnd.nextDouble() * SIZE);
      int length = (int) Math.min(SIZE - offset, 1 + rnd.nextInt(i % 3 == 0 ? 300_000 : 9000));
      FetchResponse r = await(node.fetch(image("debian", offset, length)));
      assertArrayEquals(Arrays.copyOfRange(content, (int) offset, (int) offset + length), verifiedRange(r, offset, length),
          "range " + offset + "+" + length);
    }
    FetchResponse whole = await(node.fetch(image("debian", 0, SIZE)));
    assertArrayEquals(content, verifiedRange(whole, 0, (int) SIZE));
  }

  @Test
  void aStreamCarriesManyReadsInFlightAnsweredById() throws Exception {
    int n = 500;
    Map<Long, long[]> asked = new HashMap<>();
    Random rnd = new Random(11);
    List<FetchRequest> requests = new ArrayList<>();
    for (long id = 0; id < n; id++) {
      long offset = (long) (rnd.nextDouble() * (SIZE - 200_000));
      long length = 1 + rnd.nextInt(140_000);
      asked.put(id, new long[] {offset, length});
      requests.add(FetchRequest.newBuilder().setId(id).setImageId("debian").setOffset(offset).setLength(length).build());
    }
    // one bad request in the middle fails alone
    requests.add(FetchRequest.newBuilder().setId(9999).setImageId("nope").setOffset(0).setLength(1).build());
    Map<Long, FetchResponse> answers = GrpcTestClient.fetchAll(node, requests);
    assertEquals(n + 1, answers.size());
    assertEquals(GrpcStatus.NOT_FOUND.code, answers.get(9999L).getErrorCode());
    assertTrue(answers.get(9999L).getErrorMessage().contains("nope"), answers.get(9999L).getErrorMessage());
    for (Map.Entry<Long, long[]> e : asked.entrySet()) {
      long offset = e.getValue()[0];
      int length = (int) e.getValue()[1];
      FetchResponse r = answers.get(e.getKey());
      assertEquals(0, r.getErrorCode(), r.getErrorMessage());
      assertArrayEquals(Arrays.copyOfRange(content, (int) offset, (int) offset + length), verifiedRange(r, offset, length));
    }
  }

  @Test
  void readsInABootSessionAreCachedAndHitTheSecondTime() throws Exception {
    Path f = TestFiles.random(dir, "hit.raw", 1 << 20, 3);
    await(node.registerImage(RegisterImageRequest.newBuilder().setId("hit").setLocation(f.toString()).build()));
    FetchRequest outside = image("hit", 0, 65536);
    assertEquals(16, await(node.fetch(outside)).getMisses());
    assertEquals(16, await(node.fetch(outside)).getMisses(), "reads outside a boot session are not admitted");
    String session = await(node.startBoot(StartBootRequest.newBuilder().setImageId("hit").build())).getId();
    FetchRequest inside = outside.toBuilder().setSessionId(session).build();
    assertEquals(16, await(node.fetch(inside)).getMisses());
    FetchResponse again = await(node.fetch(outside));
    assertEquals(16, again.getHits());
    assertEquals(0, again.getMisses());
    assertArrayEquals(Arrays.copyOfRange(Files.readAllBytes(f), 0, 65536), verifiedRange(again, 0, 65536));
  }

  @Test
  void identicalContentOfTwoImagesIsStoredOnce() throws Exception {
    Path a = TestFiles.random(dir, "a.raw", 1 << 20, 42);
    Path b = dir.resolve("b.raw");
    Files.copy(a, b);
    Stats before = settledStats(node);
    for (String id : new String[] {"twin-a", "twin-b"}) {
      await(node.registerImage(RegisterImageRequest.newBuilder().setId(id).setLocation(id.equals("twin-a") ? a.toString() : b.toString()).build()));
      String session = await(node.startBoot(StartBootRequest.newBuilder().setImageId(id).build())).getId();
      await(node.fetch(image(id, 0, 1 << 20).toBuilder().setSessionId(session).build()));
    }
    Stats after = settledStats(node);
    assertEquals(256, after.getCachedBlocks() - before.getCachedBlocks(), "256 distinct blocks, cached once for two images");
    assertEquals(1 << 20, after.getCachedBytes() - before.getCachedBytes());
  }

  @Test
  void badInputGetsTheRightStatusAndChangesNothing() {
    int images = await(node.listImages(ListImagesRequest.getDefaultInstance())).getImagesCount();
    assertEquals(GrpcStatus.NOT_FOUND, statusOf(node.fetch(image("unknown", 0, 1))));
    assertEquals(GrpcStatus.OUT_OF_RANGE, statusOf(node.fetch(image("debian", SIZE, 1))));
    assertEquals(GrpcStatus.OUT_OF_RANGE, statusOf(node.fetch(image("debian", SIZE - 10, 11))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("debian", -1, 10))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("debian", 0, 0))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("debian", 0, -5))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("debian", 0, Long.MAX_VALUE))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("debian", 0, 64L << 20))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(FetchRequest.newBuilder().setOffset(0).setLength(1).build())));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("x".repeat(129), 0, 1))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("../etc/passwd", 0, 1))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("bad\nid", 0, 1))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.fetch(image("debian", 0, 1).toBuilder().setSessionId("bad session").build())));
    // an unknown session is not an error: the read is served, just not admitted
    FetchResponse r = await(node.fetch(image("debian", 0, 10).toBuilder().setSessionId("s-unknown").build()));
    assertArrayEquals(Arrays.copyOfRange(content, 0, 10), verifiedRange(r, 0, 10));

    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.registerImage(
        RegisterImageRequest.newBuilder().setId("missing").setLocation(dir.resolve("nothing-here").toString()).build())));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.registerImage(
        RegisterImageRequest.newBuilder().setId("dir").setLocation(dir.toString()).build())));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.registerImage(
        RegisterImageRequest.newBuilder().setId("odd").setLocation(dir.resolve("debian.raw").toString()).setBlockSize(3000).build())));
    assertEquals(GrpcStatus.ALREADY_EXISTS, statusOf(node.registerImage(
        RegisterImageRequest.newBuilder().setId("debian").setLocation(dir.resolve("debian.raw").toString()).setBlockSize(8192).build())));
    assertEquals(GrpcStatus.NOT_FOUND, statusOf(node.registerDisk(
        RegisterDiskRequest.newBuilder().setId("vm").setImageId("nope").build())));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.registerDisk(
        RegisterDiskRequest.newBuilder().setId("vm").setImageId("debian").setMode(io.bootcache.v1.CloneMode.FULL).build())));
    assertEquals(images, await(node.listImages(ListImagesRequest.getDefaultInstance())).getImagesCount());
    // re-registering the same image the same way is harmless
    Image again = await(node.registerImage(RegisterImageRequest.newBuilder().setId("debian").setLocation(dir.resolve("debian.raw").toString()).build()));
    assertEquals(SIZE, again.getSize());
  }
}
