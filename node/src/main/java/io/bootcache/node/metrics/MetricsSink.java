package io.bootcache.node.metrics;

import java.util.Map;

/** Where metrics are written at a scrape: each family once, with its help. Names are Prometheus names. */
public interface MetricsSink {
  /** A counter; its name ends in {@code _total}. */
  void counter(String name, String help, double value);

  void gauge(String name, String help, double value);

  /** A histogram in seconds; its name ends in {@code _seconds}. */
  void histogram(String name, String help, LatencyHistogram.Snapshot snapshot);

  /** One family with a sample per label value ({@code type} "counter" or "gauge"). */
  void labelled(String name, String help, String type, String label, Map<String, ? extends Number> values);
}
