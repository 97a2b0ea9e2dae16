package io.bootcache.sim.report;

import io.bootcache.sim.backend.Units;
import io.bootcache.sim.storm.ModeResult;
import io.bootcache.sim.storm.StormOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The storm's figures as rows of a table: one row per figure, one column per mode. */
public final class Tables {
  private Tables() {}

  public record Row(String figure, List<String> values) {}

  public static List<String> header(StormOutcome o) {
    List<String> h = new ArrayList<>();
    h.add("");
    for (ModeResult m : o.modes()) h.add(m.mode());
    return h;
  }

  public static List<Row> rows(StormOutcome o) {
    List<Row> rows = new ArrayList<>();
    List<ModeResult> ms = o.modes();
    rows.add(row("VMs / hosts", ms, m -> m.vms() + " / " + m.hosts()));
    rows.add(row("reads by the VMs", ms, m -> m.reads() + " (" + Units.bytes(m.readBytes()) + ")"));
    rows.add(row("unique bytes read (working set)", ms, m -> Units.bytes(m.uniqueBytes())));
    rows.add(row("backend reads", ms, m -> Long.toString(m.backend().reads())));
    rows.add(row("backend bytes", ms, m -> Units.bytes(m.backend().bytes())));
    rows.add(row("peak backend IOPS" + (o.iopsCap() > 0 ? " (cap " + o.iopsCap() + ")" : ""), ms,
        m -> m.peakIops() + (m.iopsExact() ? "" : " (sampled)")));
    rows.add(row("amplification (backend / unique bytes)", ms, m -> f("%.3f", m.amplification())));
    rows.add(row("boot time p50 / p95 / max (s)", ms,
        m -> f("%.2f / %.2f / %.2f", m.bootPercentile(50) / 1000, m.bootPercentile(95) / 1000, m.bootMax() / 1000)));
    List<String> alone = new ArrayList<>();
    List<String> ratio = new ArrayList<>();
    for (int i = 0; i < ms.size(); i++) {
      double a = o.aloneBootMs()[i];
      alone.add(Double.isNaN(a) ? "-" : f("%.2f", a / 1000));
      ratio.add(Double.isNaN(a) ? "-" : f("%.2fx", o.slowestOverAlone(i)));
    }
    rows.add(new Row("one VM booting alone (s)", alone));
    rows.add(new Row("slowest VM / one VM alone", ratio));
    rows.add(row("cache hit ratio (blocks)", ms, m -> m.hasCache() ? f("%.1f %%", m.hitRatio() * 100) : "-"));
    rows.add(row("cache memory used (region)", ms, m -> m.hasCache() ? Units.bytes(m.backend().regionUsedBytes()) : "-"));
    rows.add(row("read latency p50 / p99 (ms)", ms, m -> f("%.2f / %.2f", m.readLatencyMs()[0], m.readLatencyMs()[1])));
    rows.add(row("bytes verified / mismatches", ms, m -> Units.bytes(m.verifiedBytes()) + " / " + m.mismatches()));
    rows.add(row("errors", ms, m -> Long.toString(m.errors())));
    rows.add(row("wall time (s)", ms, m -> f("%.1f", m.wallSeconds())));
    return rows;
  }

  /** A plain-text table, columns padded. */
  public static String text(StormOutcome o) {
    List<List<String>> cells = new ArrayList<>();
    cells.add(header(o));
    for (Row r : rows(o)) {
      List<String> line = new ArrayList<>();
      line.add(r.figure());
      line.addAll(r.values());
      cells.add(line);
    }
    return text(cells);
  }

  public static String text(List<List<String>> cells) {
    int cols = cells.get(0).size();
    int[] width = new int[cols];
    for (List<String> line : cells) for (int c = 0; c < cols; c++) width[c] = Math.max(width[c], line.get(c).length());
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      List<String> line = cells.get(i);
      for (int c = 0; c < cols; c++) {
        String v = line.get(c);
        if (c == 0) out.append(String.format("%-" + width[c] + "s", v));
        else out.append("  ").append(String.format("%" + width[c] + "s", v));
      }
      out.append('\n');
      if (i == 0) {
        int total = 0;
        for (int w : width) total += w + 2;
        out.append("-".repeat(total - 2)).append('\n');
      }
    }
    return out.toString();
  }

  private static Row row(String figure, List<ModeResult> ms, java.util.function.Function<ModeResult, String> f) {
    return new Row(figure, ms.stream().map(f).toList());
  }

  static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
