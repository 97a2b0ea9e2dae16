package io.bootcache.node.admin;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.bootcache.v1.ImageStats;
import io.bootcache.v1.Stats;
import java.util.Map;

/** The Dropwizard registry and the cluster's figures in the Prometheus text exposition format. */
final class PrometheusText {
  private final StringBuilder out = new StringBuilder();

  static String of(MetricRegistry registry, Stats stats) {
    PrometheusText p = new PrometheusText();
    p.registry(registry);
    p.cluster(stats);
    return p.out.toString();
  }

  private void registry(MetricRegistry registry) {
    for (Map.Entry<String, Counter> e : registry.getCounters().entrySet()) {
      sample(name(e.getKey()) + "_total", "counter", e.getValue().getCount());
    }
    for (Map.Entry<String, Meter> e : registry.getMeters().entrySet()) {
      sample(name(e.getKey()) + "_total", "counter", e.getValue().getCount());
    }
    for (Map.Entry<String, Gauge> e : registry.getGauges().entrySet()) {
      if (e.getValue().getValue() instanceof Number n) sample(name(e.getKey()), "gauge", n.doubleValue());
    }
    for (Map.Entry<String, Timer> e : registry.getTimers().entrySet()) {
      summary(name(e.getKey()) + "_seconds", e.getValue().getSnapshot(), e.getValue().getCount(), 1e-9);
    }
    for (Map.Entry<String, Histogram> e : registry.getHistograms().entrySet()) {
      summary(name(e.getKey()), e.getValue().getSnapshot(), e.getValue().getCount(), 1);
    }
  }

  private void cluster(Stats s) {
    sample("bootcache_cluster_nodes", "gauge", s.getClusterNodes());
    sample("bootcache_cached_blocks", "gauge", s.getCachedBlocks());
    sample("bootcache_cached_bytes", "gauge", s.getCachedBytes());
    sample("bootcache_region_used_bytes", "gauge", s.getRegionUsedBytes());
    sample("bootcache_region_max_bytes", "gauge", s.getRegionMaxBytes());
    sample("bootcache_cluster_evicted_misses_total", "counter", s.getEvictions());
    out.append("# TYPE bootcache_image_working_set_bytes gauge\n");
    for (ImageStats i : s.getImagesList()) {
      out.append("bootcache_image_working_set_bytes{image=\"").append(i.getImageId()).append("\"} ")
          .append(i.getWorkingSetBytes()).append('\n');
    }
    out.append("# TYPE bootcache_image_boots gauge\n");
    for (ImageStats i : s.getImagesList()) {
      out.append("bootcache_image_boots{image=\"").append(i.getImageId()).append("\"} ").append(i.getBoots()).append('\n');
    }
  }

  private void summary(String name, Snapshot s, long count, double scale) {
    out.append("# TYPE ").append(name).append(" summary\n");
    quantile(name, "0.5", s.getMedian() * scale);
    quantile(name, "0.95", s.get95thPercentile() * scale);
    quantile(name, "0.99", s.get99thPercentile() * scale);
    out.append(name).append("_count ").append(count).append('\n');
  }

  private void quantile(String name, String q, double v) {
    out.append(name).append("{quantile=\"").append(q).append("\"} ").append(v).append('\n');
  }

  private void sample(String name, String type, double v) {
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    out.append(name).append(' ').append(v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v)).append('\n');
  }

  /** Dropwizard names ("vertx.http.servers...") as Prometheus names. */
  static String name(String dropwizard) {
    String n = dropwizard.replaceAll("[^a-zA-Z0-9_:]", "_");
    return Character.isDigit(n.charAt(0)) ? "_" + n : n;
  }

}
