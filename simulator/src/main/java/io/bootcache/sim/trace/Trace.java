package io.bootcache.sim.trace;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A parsed trace: its read and write requests, in file order, and how many operations of each other
 * kind it held (flushes, trims, block-status queries...) that a replay skips, by the trace's name for them.
 */
public record Trace(List<TraceRecord> requests, Map<String, Long> skipped) {
  public Trace {
    requests = List.copyOf(requests);
    skipped = Map.copyOf(skipped);
  }

  /** How many operations were skipped, all kinds together. */
  public long skippedCount() {
    return skipped.values().stream().mapToLong(Long::longValue).sum();
  }

  /** "12 operations that are neither reads nor writes skipped (E 2, F 10)", or "" when none were. */
  public String skippedSummary() {
    if (skipped.isEmpty()) return "";
    String kinds = new TreeMap<>(skipped).entrySet().stream()
        .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    return skippedCount() + " operation(s) that are neither reads nor writes skipped (" + kinds + ")";
  }
}
