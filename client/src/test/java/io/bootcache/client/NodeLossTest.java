package io.bootcache.client;

import io.bootcache.node.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node going away with reads in flight on its streams: every read still returns the file's bytes. */
class NodeLossTest {
  static final int SIZE = 2 * 1024 * 1024 + 99;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static byte[] bytes;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data")).start();
    Path file = dir.resolve("img.raw");
    bytes = TestImages.write(file, SIZE, 17);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  void readsInFlightSurviveANodeClosing() throws Exception {
    try (BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).deadline(Duration.ofSeconds(2)).build()) {
      client.registerImage("img", dir.resolve("img.raw").toString(), 0);
      Target t = Target.image("img");
      client.readBlocking(t, 0, 4096); // the client learns the image's file
      Random rnd = new Random(23);
      Semaphore inFlight = new Semaphore(32);
      List<CompletableFuture<byte[]>> reads = new ArrayList<>();
      List<long[]> ranges = new ArrayList<>();
      for (int i = 0; i < 1500; i++) {
        if (i == 300) cluster.node(1).close(); // with reads in flight on its streams
        int length = 1 + rnd.nextInt(16_384);
        long offset = rnd.nextInt(SIZE - length);
        inFlight.acquire();
        ranges.add(new long[] {offset, length});
        reads.add(client.read(t, offset, length).handle((ByteBuffer b, Throwable err) -> {
          inFlight.release();
          if (err != null) throw new AssertionError("read failed: " + err, err);
          byte[] out = new byte[b.remaining()];
          b.get(out);
          return out;
        }));
      }
      for (int i = 0; i < reads.size(); i++) {
        long[] r = ranges.get(i);
        assertArrayEquals(TestImages.slice(bytes, r[0], r[1]), reads.get(i).get(60, TimeUnit.SECONDS), "read " + i);
      }
      ClientStats s = client.clientStats();
      assertTrue(s.requests() >= 1501 && s.errors() == 0, s.toString());
      assertTrue(s.retries() + s.fallbackReads() > 0, "reads sent to the closed node went elsewhere: " + s);
    }
  }
}
