package io.bootcache.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape in the Prometheus text format (0.0.4), read strictly: every sample belongs to a family
 * declared before it by a HELP line and then a TYPE line, no family is declared twice, and a
 * histogram's buckets are cumulative up to +Inf, which equals its count.
 */
final class Exposition {
  private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (\\S.*)");
  private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)");
  private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");
  private static final Set<String> HISTOGRAM_SUFFIXES = Set.of("_bucket", "_sum", "_count");

  /** Family name to type, in the order declared. */
  final Map<String, String> families = new LinkedHashMap<>();
  /** Sample name (a histogram's with its suffix) to the samples' values, by their labels. */
  final Map<String, Map<String, Double>> samples = new HashMap<>();

  static Exposition parse(String text) {
    Exposition e = new Exposition();
    String helped = null;
    for (String line : text.split("\n")) {
      if (line.isBlank()) continue;
      Matcher m;
      if ((m = HELP.matcher(line)).matches()) {
        assertFalse(e.families.containsKey(m.group(1)), "family declared twice: " + m.group(1));
        helped = m.group(1);
      } else if ((m = TYPE.matcher(line)).matches()) {
        assertEquals(helped, m.group(1), "TYPE without a HELP line just before it: " + line);
        e.families.put(m.group(1), m.group(2));
        helped = null;
      } else if ((m = SAMPLE.matcher(line)).matches()) {
        String family = e.familyOf(m.group(1));
        assertNotNull(family, "sample of no declared family (no HELP and TYPE): " + line);
        e.samples.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>())
            .put(m.group(2) == null ? "" : m.group(2), Double.parseDouble(m.group(3).replace("Inf", "Infinity")));
      } else {
        throw new AssertionError("not a line of the text format: " + line);
      }
    }
    e.families.forEach((name, type) -> {
      if (type.equals("histogram")) e.checkHistogram(name);
    });
    return e;
  }

  /** The family a sample belongs to, or null. */
  String familyOf(String sample) {
    if (families.containsKey(sample)) return sample;
    for (String suffix : HISTOGRAM_SUFFIXES) {
      if (!sample.endsWith(suffix)) continue;
      String base = sample.substring(0, sample.length() - suffix.length());
      if ("histogram".equals(families.get(base)) || "summary".equals(families.get(base))) return base;
    }
    return null;
  }

  private void checkHistogram(String name) {
    Map<String, Double> buckets = samples.get(name + "_bucket");
    assertNotNull(buckets, name + " has no buckets");
    assertTrue(name.endsWith("_seconds"), "a latency histogram is in seconds: " + name);
    List<Double> bounds = new ArrayList<>();
    double last = 0;
    for (Map.Entry<String, Double> b : buckets.entrySet()) {
      Matcher le = LE.matcher(b.getKey());
      assertTrue(le.find(), "bucket without le: " + name + b.getKey());
      bounds.add(Double.parseDouble(le.group(1).replace("Inf", "Infinity")));
      assertTrue(b.getValue() >= last, name + " buckets are not cumulative at le=" + le.group(1));
      last = b.getValue();
    }
    for (int i = 1; i < bounds.size(); i++) assertTrue(bounds.get(i) > bounds.get(i - 1), name + " bounds out of order");
    assertEquals(Double.POSITIVE_INFINITY, bounds.get(bounds.size() - 1), name + " ends without +Inf");
    assertEquals(last, samples.get(name + "_count").get(""), name + "'s +Inf bucket is not its count");
    assertNotNull(samples.get(name + "_sum"), name + " has no sum");
  }

  /** Whether a query of this name finds a series here. */
  boolean hasSeries(String name) {
    return samples.containsKey(name) && !samples.get(name).isEmpty();
  }
}
