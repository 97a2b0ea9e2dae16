package io.bootcache.node.read;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.ApiError;
import io.bootcache.node.LocalCluster;
import io.bootcache.node.NodeMetrics;
import io.bootcache.node.NodeServices;
import io.bootcache.node.backend.Backend;
import io.bootcache.node.backend.RateLimiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner's load path against a real one-node cluster and a real file: one backend read per block
 * however many ask, neighbouring misses that arrive together read at once, and a failing read
 * releasing every claim it held. The backend readers run on an executor the test holds back, so
 * that "arrive together" is exact.
 */
class LoaderTest {
  static final int SIZE = 1 << 20;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static NodeServices node;
  static byte[] content;
  static Path file;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    node = cluster.node(0).services();
    content = new byte[SIZE];
    new Random(9).nextBytes(content);
    file = Files.write(dir.resolve("img.raw"), content);
    for (String id : List.of("coalesce", "single", "failing")) node.catalog().registerImage(id, file.toString(), 4096);
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  /** An executor that runs nothing until released, then everything at once: the loads it held arrive together. */
  static final class HeldExecutor implements Executor {
    private final List<Runnable> held = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private boolean released;

    @Override
    public synchronized void execute(Runnable task) {
      if (released) threads.execute(task); else held.add(task);
    }

    synchronized void release() {
      released = true;
      held.forEach(threads::execute);
      held.clear();
    }
  }

  record Setup(Loader loader, NodeMetrics metrics, HeldExecutor io) {}

  static Setup loader() {
    NodeMetrics metrics = new NodeMetrics(new MetricRegistry());
    Backend backend = new Backend(new RateLimiter(0, 0), Duration.ZERO, metrics);
    HeldExecutor io = new HeldExecutor();
    Loader loader = new Loader(node.catalog(), new ClusterBlocks(node.maps(), node.store(), metrics), backend, metrics,
        io, Runnable::run);
    return new Setup(loader, metrics, io);
  }

  /** Loads on caller threads, as readers on different connections would. */
  static List<CompletableFuture<Block[]>> loadAll(Loader loader, String image, long[]... requests) throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(requests.length);
    try {
      List<CompletableFuture<CompletableFuture<Block[]>>> started = new ArrayList<>();
      for (long[] r : requests) started.add(CompletableFuture.supplyAsync(() -> loader.load(image, r, true), callers));
      List<CompletableFuture<Block[]>> out = new ArrayList<>();
      for (var s : started) out.add(s.get(30, TimeUnit.SECONDS));
      return out;
    } finally {
      callers.shutdown();
    }
  }

  static void assertContent(Block[] blocks) {
    for (Block b : blocks) {
      byte[] want = new byte[4096];
      System.arraycopy(content, (int) b.index() * 4096, want, 0, 4096);
      byte[] got = new byte[b.length()];
      b.bytes().duplicate().get(got);
      assertArrayEquals(want, got, "block " + b.index());
    }
  }

  @Test
  void neighbouringMissesFromDifferentReadersBecomeOneBackendRead() throws Exception {
    Setup s = loader();
    var loads = loadAll(s.loader(), "coalesce", new long[] {0, 1, 2, 3}, new long[] {4, 5}, new long[] {6, 7, 8});
    s.io().release();
    for (var l : loads) assertContent(l.get(30, TimeUnit.SECONDS));
    assertEquals(1, s.metrics().backendReads.getCount(), "blocks 0-8 in one read");
    assertEquals(9 * 4096, s.metrics().backendBytes.getCount());
  }

  @Test
  void tenReadersOfTheSameBlocksMakeOneBackendRead() throws Exception {
    Setup s = loader();
    long[][] same = new long[10][];
    for (int i = 0; i < 10; i++) same[i] = new long[] {40, 41};
    var loads = loadAll(s.loader(), "single", same);
    s.io().release();
    for (var l : loads) assertContent(l.get(30, TimeUnit.SECONDS));
    assertEquals(1, s.metrics().backendReads.getCount());
    assertEquals(18, s.metrics().singleFlightWaits.getCount(), "the nine others joined the first, for both blocks");
    // admitted: a later load finds them in the cluster, with no backend read
    assertContent(s.loader().load("single", new long[] {40, 41}, true).get(30, TimeUnit.SECONDS));
    assertEquals(1, s.metrics().backendReads.getCount());
  }

  @Test
  void aFailingBackendReadReleasesEveryClaimItHeld() throws Exception {
    Setup s = loader();
    Path gone = dir.resolve("gone.raw");
    Files.move(file, gone); // the backend cannot open the image's file now
    try {
      // two runs in one reader: blocks 100-101 and 200-201; and a joiner of 200
      var loads = loadAll(s.loader(), "failing", new long[] {100, 101}, new long[] {200, 201}, new long[] {200});
      s.io().release();
      for (var l : loads) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> l.get(10, TimeUnit.SECONDS),
            "every reader gets the error at once, none waits for a timeout");
        assertInstanceOf(ApiError.class, e.getCause());
        assertEquals(ApiError.Kind.UNAVAILABLE, ((ApiError) e.getCause()).kind());
      }
      assertEquals(0, s.loader().inFlight(), "no claim is left behind");
    } finally {
      Files.move(gone, file);
    }
    var again = s.loader().load("failing", new long[] {100, 101, 200}, true);
    s.io().release();
    assertContent(again.get(30, TimeUnit.SECONDS));
    assertTrue(s.metrics().backendReads.getCount() >= 1);
  }
}
