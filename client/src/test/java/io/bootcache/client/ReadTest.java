package io.bootcache.client;

import io.bootcache.node.LocalCluster;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads through a real two-node cluster: the bytes are always the backing file's. */
class ReadTest {
  /** Not a multiple of the block size: the last block is short. */
  static final int SIZE = 6 * 1024 * 1024 + 1234;
  static final int BLOCK = 4096;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static BootCacheClient client;
  static byte[] bytes;
  static Path file;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data")).start();
    file = dir.resolve("debian12.raw");
    bytes = TestImages.write(file, SIZE, 42);
    client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).deadline(java.time.Duration.ofSeconds(10)).build();
    client.registerImage("debian12", file.toString(), 0);
    client.registerImage("small-blocks", file.toString(), 512);
  }

  @AfterAll
  static void stop() {
    if (client != null) client.close();
    if (cluster != null) cluster.close();
  }

  @Test
  void randomRangesEqualTheFile() {
    Random rnd = new Random(7);
    long fallbacksBefore = client.clientStats().fallbackReads();
    for (int i = 0; i < 300; i++) {
      int length = 1 + rnd.nextInt(i % 3 == 0 ? 200_000 : 9000);
      long offset = rnd.nextInt(SIZE - length + 1);
      String image = i % 2 == 0 ? "debian12" : "small-blocks";
      String session = "";
      assertArrayEquals(TestImages.slice(bytes, offset, length), client.readBlocking(Target.image(image), offset, length, session),
          image + " at " + offset + "+" + length);
    }
    assertEquals(fallbacksBefore, client.clientStats().fallbackReads(), "the cluster served every read");
  }

  @Test
  void theShortLastBlockAndTheWholeImage() {
    Target t = Target.image("debian12");
    long lastBlock = (SIZE / BLOCK) * (long) BLOCK;
    for (long[] r : new long[][] {{SIZE - 1, 1}, {SIZE - 100, 100}, {lastBlock, SIZE - lastBlock}, {lastBlock - 10, SIZE - lastBlock + 10},
        {0, 1}, {BLOCK - 1, 2}, {0, SIZE}}) {
      assertArrayEquals(TestImages.slice(bytes, r[0], r[1]), client.readBlocking(t, r[0], r[1]), "range " + r[0] + "+" + r[1]);
    }
  }

  @Test
  void sixtyFourReadsInFlightAllCorrect() throws Exception {
    Random rnd = new Random(11);
    Semaphore inFlight = new Semaphore(64);
    List<CompletableFuture<Boolean>> checks = new ArrayList<>();
    long before = client.clientStats().requests();
    Recorder boot = client.startBoot(Target.image("debian12"), "concurrency"); // its reads fill the cache
    for (int i = 0; i < 2000; i++) {
      int length = i % 10 == 0 ? 1 + rnd.nextInt(70_000) : 4096;
      long offset = i % 10 == 0 ? rnd.nextInt(SIZE - length) : (long) rnd.nextInt(SIZE / BLOCK) * BLOCK;
      inFlight.acquire();
      checks.add(client.read(Target.image("debian12"), offset, length, boot.sessionId()).handle((buf, err) -> {
        inFlight.release();
        if (err != null) return false;
        byte[] got = new byte[buf.remaining()];
        buf.get(got);
        return java.util.Arrays.equals(got, TestImages.slice(bytes, offset, length));
      }));
    }
    for (CompletableFuture<Boolean> c : checks) assertTrue(c.get(60, TimeUnit.SECONDS));
    boot.close();
    assertEquals(before + 2000, client.clientStats().requests());
  }

  @Test
  void sessionReadsAreCachedAndCounted() {
    Target t = Target.image("debian12");
    long hitsBefore = client.clientStats().hits();
    try (var ignored = new AutoCloseableRecorder(client.startBoot(t, "test-host"))) {
      String session = ignored.recorder.sessionId();
      assertArrayEquals(TestImages.slice(bytes, 40960, 8192), client.readBlocking(t, 40960, 8192, session));
    }
    assertArrayEquals(TestImages.slice(bytes, 40960, 8192), client.readBlocking(t, 40960, 8192));
    assertTrue(client.clientStats().hits() >= hitsBefore + 2, "blocks read in a session are cached: " + client.clientStats());
  }

  @Test
  void callerErrorsAreNotFallenBack() {
    long fallbacksBefore = client.clientStats().fallbackReads();
    assertStatus(GrpcStatus.NOT_FOUND, client.read(Target.image("no-such-image"), 0, 4096));
    assertStatus(GrpcStatus.NOT_FOUND, client.read(Target.disk("no-such-disk"), 0, 4096));
    assertStatus(GrpcStatus.OUT_OF_RANGE, client.read(Target.image("debian12"), SIZE, 1));
    assertStatus(GrpcStatus.OUT_OF_RANGE, client.read(Target.image("debian12"), SIZE - 10, 20));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, client.read(Target.image("debian12"), 0, 0));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, client.read(Target.image("debian12"), 0, -5));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, client.read(Target.image("debian12"), -1, 10));
    assertStatus(GrpcStatus.INVALID_ARGUMENT, client.read(Target.image("debian12"), 0, 1L << 40));
    assertEquals(fallbacksBefore, client.clientStats().fallbackReads());
  }

  @Test
  void theNodeRejectsARequestOverItsCap() {
    // One request of 5 MiB (no client-side splitting): over the node's 4 MiB request cap.
    try (BootCacheClient unsplit = BootCacheClient.builder().nodes(cluster.grpcAddresses()).chunkBytes(16 * 1024 * 1024).build()) {
      BootCacheException e = assertStatus(GrpcStatus.INVALID_ARGUMENT, unsplit.read(Target.image("debian12"), 0, 5 * 1024 * 1024));
      assertTrue(e.getMessage().length() > 10, "the node says what was wrong: " + e.getMessage());
      assertEquals(0, unsplit.clientStats().fallbackReads());
    }
  }

  @Test
  void aDeadNodeInTheListIsSkipped() throws Exception {
    int deadPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    List<String> nodes = new ArrayList<>();
    nodes.add("127.0.0.1:" + deadPort);
    nodes.addAll(cluster.grpcAddresses());
    try (BootCacheClient withDead = BootCacheClient.builder().nodes(nodes).build()) {
      Random rnd = new Random(5);
      for (int i = 0; i < 30; i++) {
        int length = 1 + rnd.nextInt(10_000);
        long offset = rnd.nextInt(SIZE - length);
        assertArrayEquals(TestImages.slice(bytes, offset, length), withDead.readBlocking(Target.image("debian12"), offset, length));
      }
      assertEquals(0, withDead.clientStats().fallbackReads(), "the live nodes answered: " + withDead.clientStats());
      assertTrue(withDead.images().stream().anyMatch(i -> i.getId().equals("debian12")), "admin calls skip it too");
    }
  }

  @Test
  void readBlockingThrowsTheStatus() {
    BootCacheException e = assertThrows(BootCacheException.class, () -> client.readBlocking(Target.image("nope"), 0, 1));
    assertEquals(GrpcStatus.NOT_FOUND, e.status());
    assertEquals(5, e.code());
  }

  static BootCacheException assertStatus(GrpcStatus expected, CompletableFuture<ByteBuffer> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
    BootCacheException b = assertInstanceOf(BootCacheException.class, e.getCause());
    assertEquals(expected, b.status(), b.getMessage());
    return b;
  }

  /** Ends a boot session at the end of a try block. */
  record AutoCloseableRecorder(Recorder recorder) implements AutoCloseable {
    @Override
    public void close() {
      recorder.close();
    }
  }
}
