package io.bootcache.client;

import io.bootcache.client.partition.HostProcess;
import io.bootcache.node.LocalCluster;
import io.bootcache.node.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node that goes silent (SIGSTOP: its connections stay open, nothing answers, as in a partition
 * that drops packets) costs one read deadline, not one per read: the client marks it down at the
 * first deadline, sends the reads that follow straight to the other node, and probes the silent one
 * until it answers again (SIGCONT), then reads from it again.
 */
class SilentNodeTest {
  static final int SIZE = 4 * 1024 * 1024;
  static final Duration DEADLINE = Duration.ofSeconds(1);

  @TempDir
  static Path dir;
  static LocalCluster other;
  static HostProcess silent;
  static int silentGrpc;
  static int silentAdmin;
  static byte[] bytes;

  @BeforeAll
  static void start() throws Exception {
    bytes = TestImages.write(dir.resolve("img.raw"), SIZE, 31);
    other = LocalCluster.builder().nodes(1).dataDir(dir.resolve("other")).start();
    int base = Ports.freeRange(4);
    silentGrpc = base + 2;
    silentAdmin = base + 3;
    silent = HostProcess.java("silent-node", "256m", "io.bootcache.node.Main", List.of("--name", "silent",
        "--discovery-port", "" + base, "--communication-port", "" + (base + 1), "--seed", "127.0.0.1:" + base,
        "--grpc-port", "" + silentGrpc, "--admin-port", "" + silentAdmin, "--data-dir", dir.resolve("silent").toString(),
        "--memory", "32m", "--meta-memory", "48m", "--host-memory", "16m"), cmd -> cmd, dir.resolve("logs"));
    silent.await(" up: ", Duration.ofSeconds(90));
    // Two clusters of one node each, both serving the same file: any node serves any read.
    for (String node : List.of("127.0.0.1:" + silentGrpc, other.grpcAddresses().get(0))) {
      try (BootCacheClient c = BootCacheClient.builder().node(node).build()) {
        c.registerImage("img", dir.resolve("img.raw").toString(), 0);
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (silent != null) {
      if (silent.alive()) silent.signal("CONT");
      silent.close();
    }
    if (other != null) other.close();
  }

  @Test
  void aSilentNodeCostsOneDeadlineAndIsUsedAgainOnceItAnswers() throws Exception {
    try (BootCacheClient client = BootCacheClient.builder()
        .nodes("127.0.0.1:" + silentGrpc, other.grpcAddresses().get(0)).deadline(DEADLINE).build()) {
      Random rnd = new Random(5);
      for (int i = 0; i < 8; i++) readAndCheck(client, rnd); // both nodes serve
      silent.signal("STOP");
      try {
        long slowest = 0;
        for (int i = 0; i < 3; i++) slowest = Math.max(slowest, timedRead(client, rnd));
        assertTrue(slowest >= DEADLINE.toMillis() * 9 / 10, "a read sent to the stopped node waited for its deadline: " + slowest);

        long started = System.nanoTime();
        for (int i = 0; i < 20; i++) readAndCheck(client, rnd);
        long ms = (System.nanoTime() - started) / 1_000_000;
        System.out.println("silent node: first read on it " + slowest + " ms, the 20 reads after it " + ms + " ms");
        assertTrue(ms < 2 * DEADLINE.toMillis(), "20 reads after the first deadline skip the stopped node: " + ms + " ms");
      } finally {
        silent.signal("CONT");
      }

      // Woken, the node answers its probe and serves reads again.
      long before = -1;
      for (long until = System.nanoTime() + 10_000_000_000L; before < 0 && System.nanoTime() < until; ) {
        before = readsOfSilentNode();
        if (before < 0) Thread.sleep(100);
      }
      long woken = System.nanoTime();
      Thread.sleep(500); // the reads it was sent while stopped, answered late, are counted by now
      before = readsOfSilentNode();
      long after = before;
      for (long until = System.nanoTime() + 15_000_000_000L; after < before + 5 && System.nanoTime() < until; ) {
        readAndCheck(client, rnd);
        Thread.sleep(20);
        after = readsOfSilentNode();
      }
      assertTrue(after >= before + 5, "the node is read from again after SIGCONT: reads " + before + " -> " + after);
      System.out.println("silent node: read from again " + (System.nanoTime() - woken) / 1_000_000 + " ms after it answered its admin port");
      assertEquals(0, client.clientStats().errors(), client.clientStats().toString());
    }
  }

  private static long timedRead(BootCacheClient client, Random rnd) {
    long started = System.nanoTime();
    readAndCheck(client, rnd);
    return (System.nanoTime() - started) / 1_000_000;
  }

  private static void readAndCheck(BootCacheClient client, Random rnd) {
    int length = 512 + rnd.nextInt(16_384);
    long offset = rnd.nextInt(SIZE - length);
    assertArrayEquals(TestImages.slice(bytes, offset, length), client.readBlocking(Target.image("img"), offset, length));
  }

  /** The silent node's bootcache_reads_total, or -1 while its admin endpoint does not answer. */
  private static long readsOfSilentNode() throws InterruptedException {
    try {
      String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + silentAdmin + "/metrics"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
      Matcher m = Pattern.compile("(?m)^bootcache_reads_total ([0-9.eE+-]+)$").matcher(body);
      return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    } catch (IOException e) {
      return -1;
    }
  }
}
