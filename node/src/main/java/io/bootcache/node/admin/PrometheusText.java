package io.bootcache.node.admin;

import io.bootcache.node.NodeMetrics;
import io.bootcache.node.cluster.Regions;
import io.bootcache.node.metrics.LatencyHistogram;
import io.bootcache.node.metrics.MetricsSink;
import io.bootcache.v1.ImageStats;
import io.bootcache.v1.Stats;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.ignite.DataRegionMetrics;
import org.apache.ignite.Ignite;

/**
 * The node's metrics and the cluster's figures in the Prometheus text exposition format (0.0.4):
 * every family with its HELP and TYPE lines.
 */
final class PrometheusText implements MetricsSink {
  private final StringBuilder out = new StringBuilder();

  static String of(NodeMetrics metrics, Ignite ignite, Stats stats, int maxImages) {
    PrometheusText p = new PrometheusText();
    metrics.writeTo(p);
    p.regions(ignite);
    p.cluster(stats, maxImages);
    return p.out.toString();
  }

  /** This node's share of the Ignite regions. */
  private void regions(Ignite ignite) {
    Map<String, Long> used = new LinkedHashMap<>();
    for (String region : List.of(Regions.META, Regions.BLOCKS, Regions.BLOCKMAP)) {
      DataRegionMetrics m = ignite.dataRegionMetrics(region);
      if (m != null) used.put(region, m.getTotalUsedPages() * (long) Regions.PAGE_SIZE);
    }
    labelled("bootcache_region_node_used_bytes", "Bytes of this node's Ignite data regions in use (off-heap).",
        "gauge", "region", used);
  }

  /** Figures of the whole cluster: every node shows the same, so take max(), not sum(), across nodes. */
  private void cluster(Stats s, int maxImages) {
    String whole = " The whole cluster's: every node shows the same figure.";
    gauge("bootcache_cluster_nodes", "Server nodes in the cluster.", s.getClusterNodes());
    gauge("bootcache_cached_blocks", "Blocks cached in the cluster (primary copies)." + whole, s.getCachedBlocks());
    gauge("bootcache_cached_bytes", "Bytes of blocks cached in the cluster (primary copies)." + whole,
        s.getCachedBytes());
    gauge("bootcache_region_used_bytes", "Bytes in use of the blocks regions of all nodes." + whole,
        s.getRegionUsedBytes());
    gauge("bootcache_region_max_bytes", "Caps of the blocks regions of all nodes (--memory)." + whole,
        s.getRegionMaxBytes());
    counter("bootcache_cluster_evicted_misses_total", "Reads that found a block evicted, on all nodes." + whole,
        s.getEvictions());
    Map<String, Long> workingSet = new LinkedHashMap<>();
    Map<String, Long> boots = new LinkedHashMap<>();
    for (ImageStats i : s.getImagesList()) {
      if (workingSet.size() == maxImages) break;
      workingSet.put(i.getImageId(), i.getWorkingSetBytes());
      boots.put(i.getImageId(), (long) i.getBoots());
    }
    String capped = " The first " + maxImages + " images only.";
    labelled("bootcache_image_working_set_bytes", "Bytes of the image its boot profile holds." + whole + capped,
        "gauge", "image", workingSet);
    labelled("bootcache_image_profile_boots", "Boots folded into the image's boot profile." + whole + capped,
        "gauge", "image", boots);
  }

  @Override
  public void counter(String name, String help, double value) {
    head(name, help, "counter");
    sample(name, "", value);
  }

  @Override
  public void gauge(String name, String help, double value) {
    head(name, help, "gauge");
    sample(name, "", value);
  }

  @Override
  public void histogram(String name, String help, LatencyHistogram.Snapshot s) {
    head(name, help, "histogram");
    double[] bounds = s.bounds();
    for (int i = 0; i < bounds.length; i++) sample(name + "_bucket", "le=\"" + number(bounds[i]) + "\"", s.cumulative()[i]);
    sample(name + "_bucket", "le=\"+Inf\"", s.count());
    sample(name + "_sum", "", s.sumSeconds());
    sample(name + "_count", "", s.count());
  }

  @Override
  public void labelled(String name, String help, String type, String label, Map<String, ? extends Number> values) {
    head(name, help, type);
    values.forEach((value, n) -> sample(name, label + "=\"" + escape(value) + "\"", n.doubleValue()));
  }

  private void head(String name, String help, String type) {
    out.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private void sample(String name, String labels, double v) {
    out.append(name);
    if (!labels.isEmpty()) out.append('{').append(labels).append('}');
    out.append(' ').append(number(v)).append('\n');
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
  }

  static String escape(String labelValue) {
    return labelValue.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
