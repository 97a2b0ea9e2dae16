package io.bootcache.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Recorder;
import io.bootcache.client.Target;
import io.bootcache.node.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard against a live node: every metric its panels and variables query is on the
 * node's /metrics, and that scrape is well formed (HELP and TYPE for every family, histograms in
 * seconds with cumulative buckets).
 */
class DashboardTest {
  static final Path DASHBOARD = Path.of("grafana/bootcache.json");
  @TempDir Path dir;

  @Test
  void everyMetricTheDashboardQueriesIsOnALiveNode() throws Exception {
    Set<String> queried = queriedMetrics(new ObjectMapper().readTree(DASHBOARD.toFile()));
    assertTrue(queried.size() >= 15, "the dashboard queries " + queried);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start()) {
      bootOnce(cluster.grpcAddresses());
      Exposition scrape = Exposition.parse(scrape(cluster.node(0).adminPort()));
      Set<String> missing = new TreeSet<>();
      for (String name : queried) if (!scrape.hasSeries(name)) missing.add(name);
      assertEquals(Set.of(), missing, "queried by the dashboard, not on /metrics");
      assertTrue(scrape.families.size() >= 40, "families: " + scrape.families.keySet());
    }
  }

  @Test
  void panelsAreWhatGrafanaImports() throws Exception {
    JsonNode d = new ObjectMapper().readTree(DASHBOARD.toFile());
    assertEquals("bootcache", d.path("uid").asText());
    Set<Long> ids = new HashSet<>();
    List<String> titles = new ArrayList<>();
    for (JsonNode panel : d.path("panels")) {
      assertTrue(ids.add(panel.path("id").asLong()), "panel ids are unique");
      titles.add(panel.path("title").asText());
      assertEquals("${datasource}", panel.path("datasource").path("uid").asText(), panel.path("title").asText());
      for (String k : List.of("x", "y", "w", "h")) assertTrue(panel.path("gridPos").has(k), "gridPos." + k);
      Set<String> refIds = new HashSet<>();
      for (JsonNode target : panel.path("targets")) {
        assertTrue(refIds.add(target.path("refId").asText()), "refIds are unique in " + panel.path("title"));
        assertFalse(target.path("expr").asText().isBlank());
      }
      assertFalse(refIds.isEmpty(), panel.path("title") + " queries nothing");
    }
    for (String wanted : List.of("Storage IOPS saved", "Hit ratio", "Boot times", "Memory per node")) {
      assertTrue(titles.contains(wanted), wanted + " in " + titles);
    }
  }

  @Test
  void metricNamesAreReadOutOfQueries() {
    assertEquals(Set.of("bootcache_a_total", "bootcache_b_bucket"), PromQl.metricNames(
        "sum by (image) (rate(bootcache_a_total{image=~\"$image\"}[$__rate_interval])) / "
            + "histogram_quantile(0.99, sum by (le) (rate(bootcache_b_bucket[5m]))) * 1e3 > bool 0"));
    assertEquals(Set.of("bootcache_cluster_nodes"), PromQl.metricNames("label_values(bootcache_cluster_nodes, instance)"));
  }

  @Test
  void aScrapeWithoutHelpOrWithBrokenBucketsIsRefused() {
    assertThrows(AssertionError.class, () -> Exposition.parse("# TYPE a_total counter\na_total 1\n"));
    assertThrows(AssertionError.class, () -> Exposition.parse("b_total 1\n"));
    assertThrows(AssertionError.class, () -> Exposition.parse("# HELP c_seconds c\n# TYPE c_seconds histogram\n"
        + "c_seconds_bucket{le=\"1\"} 2\nc_seconds_bucket{le=\"+Inf\"} 1\nc_seconds_sum 1\nc_seconds_count 1\n"));
    Exposition ok = Exposition.parse("# HELP c_seconds c\n# TYPE c_seconds histogram\n"
        + "c_seconds_bucket{le=\"1\"} 1\nc_seconds_bucket{le=\"+Inf\"} 2\nc_seconds_sum 3.5\nc_seconds_count 2\n");
    assertTrue(ok.hasSeries("c_seconds_bucket"));
  }

  /** Every metric named by a panel's queries or a variable's. */
  static Set<String> queriedMetrics(JsonNode dashboard) {
    Set<String> out = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) out.addAll(PromQl.metricNames(target.path("expr").asText()));
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (variable.has("definition")) out.addAll(PromQl.metricNames(variable.path("definition").asText()));
    }
    return out;
  }

  /** One boot of one image through the client: a boot session, its reads, its end. */
  private void bootOnce(List<String> nodes) throws Exception {
    byte[] image = new byte[1 << 20];
    new Random(7).nextBytes(image);
    Path file = Files.write(dir.resolve("img.raw"), image);
    try (BootCacheClient client = BootCacheClient.builder().nodes(nodes).build()) {
      client.registerImage("img", file.toString(), 4096);
      Recorder boot = client.startBoot(Target.image("img"), "host-1");
      for (long offset = 0; offset < 256 << 10; offset += 64 << 10) {
        boot.read(offset, 64 << 10);
        client.readBlocking(Target.image("img"), offset, 64 << 10, boot.sessionId());
      }
      boot.close();
      client.readBlocking(Target.image("img"), 0, 64 << 10);
    }
  }

  private static String scrape(int adminPort) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }
}
