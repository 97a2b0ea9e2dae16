package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.admin.Readiness;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.EndBootRequest;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin endpoint's health paths, and the figures /metrics gives per image, read off a live node. */
class AdminMetricsTest {
  private static final Pattern SAMPLE = Pattern.compile("^([a-z_:]+(?:\\{[^}]*\\})?) (\\S+)$", Pattern.MULTILINE);
  @TempDir Path dir;

  @Test
  void liveAndReadyAnswerApartFromHealth() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir).start()) {
      BootCacheNode n = cluster.node(0);
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + n.adminPort();
      assertEquals("LIVE", new JsonObject(body(http, base + "/health/live", 200)).getString("status"));
      JsonObject ready = new JsonObject(body(http, base + "/health/ready", 200));
      assertEquals("READY", ready.getString("status"));
      assertEquals(1, ready.getInteger("clusterNodes"));
      assertEquals("UP", new JsonObject(body(http, base + "/health", 200)).getString("status"));
      // a node that has joined but does not serve yet is not ready
      Readiness starting = Readiness.of(n.ignite(), false);
      assertFalse(starting.ready());
      assertEquals("NOT_READY", starting.json("n").getString("status"));
    }
  }

  @Test
  void perImageCountersFollowABoot() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir).start(); GrpcTestClient t = new GrpcTestClient()) {
      BootCacheNode n = cluster.node(0);
      Path file = TestFiles.random(dir, "img.raw", 1 << 20, 3);
      BootCacheGrpcClient node = t.to(n.grpcAddress());
      await(node.registerImage(RegisterImageRequest.newBuilder().setId("img").setLocation(file.toString()).build()));
      String s = await(node.startBoot(StartBootRequest.newBuilder().setImageId("img").build())).getId();
      FetchRequest read = FetchRequest.newBuilder().setImageId("img").setOffset(0).setLength(8192).build();
      await(node.fetch(read.toBuilder().setSessionId(s).build()));
      await(node.endBoot(EndBootRequest.newBuilder().setSessionId(s).build()));

      HttpClient http = HttpClient.newHttpClient();
      String url = "http://127.0.0.1:" + n.adminPort() + "/metrics";
      Map<String, Double> m = samples(body(http, url, 200));
      assertEquals(1, m.get("bootcache_image_boots_total{image=\"img\"}"));
      assertEquals(1, m.get("bootcache_boot_duration_seconds_count"));
      assertEquals(2, m.get("bootcache_image_misses_total{image=\"img\"}"), "two 4 KiB blocks, never read before");
      assertEquals(0, m.get("bootcache_image_hits_total{image=\"img\"}"));
      assertEquals(1, m.get("bootcache_image_backend_reads_total{image=\"img\"}"), "one read for the run");
      assertEquals(8192, m.get("bootcache_image_backend_bytes_total{image=\"img\"}"));
      assertEquals(8192, m.get("bootcache_image_read_bytes_total{image=\"img\"}"));
      assertEquals(1.0, m.get("bootcache_image_amplification{image=\"img\"}"));
      assertEquals(1, m.get("bootcache_fetch_latency_seconds_count"));
      assertEquals(1, m.get("bootcache_backend_read_latency_seconds_count"));
      assertEquals(0, m.get("bootcache_image_prefetch_used_blocks_total{image=\"img\"}"));
      assertTrue(m.get("bootcache_process_resident_bytes") > 0);
      assertTrue(m.get("bootcache_memory_used_bytes{area=\"heap\"}") > 0);

      await(node.fetch(read)); // the same blocks again: the backend is not read again
      m = samples(body(http, url, 200));
      assertEquals(16384, m.get("bootcache_image_read_bytes_total{image=\"img\"}"));
      assertEquals(4, m.get("bootcache_image_hits_total{image=\"img\"}") + m.get("bootcache_image_misses_total{image=\"img\"}"));
      assertEquals(m.get("bootcache_block_hits_total"), m.get("bootcache_image_hits_total{image=\"img\"}"));
      assertEquals(1, m.get("bootcache_image_backend_reads_total{image=\"img\"}"));
      assertEquals(0.5, m.get("bootcache_image_amplification{image=\"img\"}"));
      assertEquals(0.5, m.get("bootcache_amplification"));
      assertEquals(2, m.get("bootcache_reads_total"));
    }
  }

  static Map<String, Double> samples(String exposition) {
    Map<String, Double> out = new HashMap<>();
    Matcher s = SAMPLE.matcher(exposition);
    while (s.find()) out.put(s.group(1), Double.parseDouble(s.group(2)));
    return out;
  }

  static String body(HttpClient http, String url, int status) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(status, r.statusCode(), url + ": " + r.body());
    return r.body();
  }
}
