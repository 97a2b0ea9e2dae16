package io.bootcache.sim.report;

import io.bootcache.sim.storm.ModeResult;
import io.bootcache.sim.storm.Sample;
import io.bootcache.sim.storm.StormOutcome;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;

/**
 * The storm as one self-contained HTML page: the figures table, backend IOPS over time, the
 * boot-time CDF and the cache hit ratio over time, as inline SVG. Opens offline.
 */
public final class HtmlReport {
  private static final String[] COLORS = {"#d35400", "#2471a3", "#1e8449", "#7d3c98"};

  private HtmlReport() {}

  public static String render(StormOutcome o) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bootcache storm</title><style>")
        .append("body{font-family:sans-serif;margin:24px auto;max-width:1000px;color:#222;line-height:1.4}")
        .append("table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 10px}")
        .append("th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}")
        .append("code,pre{background:#f6f6f6;padding:2px 4px}pre{white-space:pre-wrap;padding:8px}")
        .append(".chart{margin:18px 0}.note{color:#555;font-size:90%}</style></head><body>");
    h.append("<h1>Boot storm: ").append(o.modes().get(0).vms()).append(" VMs</h1>");
    h.append("<p class=\"note\">").append(esc(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME))).append("</p>");
    h.append("<p><b>Workload:</b> ").append(esc(o.workload())).append("<br><b>Scaling:</b> ").append(esc(o.scaling()))
        .append("<br><b>Setup:</b> ").append(esc(o.setup())).append("</p>");
    h.append("<p><b>Command:</b></p><pre>").append(esc(o.command())).append("</pre>");
    h.append("<h2>Figures</h2><table><tr>");
    for (String c : Tables.header(o)) h.append("<th>").append(esc(c)).append("</th>");
    h.append("</tr>");
    for (Tables.Row r : Tables.rows(o)) {
      h.append("<tr><td>").append(esc(r.figure())).append("</td>");
      for (String v : r.values()) h.append("<td class=\"n\">").append(esc(v)).append("</td>");
      h.append("</tr>");
    }
    h.append("</table>");
    h.append("<p class=\"note\">Amplification: bytes read from the backend / unique bytes the VMs read (whole 4 KiB blocks);"
        + " 1.0 is ideal, without a cache it approaches the number of VMs per image. Boot time: from power-on to a VM's"
        + " last read. Every byte a VM read was checked against the image file.</p>");
    h.append("<div class=\"chart\">").append(iopsChart(o)).append("</div>");
    h.append("<div class=\"chart\">").append(cdfChart(o)).append("</div>");
    String hits = hitChart(o);
    if (hits != null) h.append("<div class=\"chart\">").append(hits).append("</div>");
    for (ModeResult m : o.modes()) {
      if (m.mismatches() > 0 || m.errors() > 0) {
        h.append("<h3>Problems in ").append(esc(m.mode())).append("</h3><pre>");
        if (m.firstError() != null) h.append(esc(m.firstError())).append('\n');
        for (String s : m.firstMismatches()) h.append(esc(s)).append('\n');
        h.append("</pre>");
      }
    }
    h.append("</body></html>\n");
    return h.toString();
  }

  private static String iopsChart(StormOutcome o) {
    SvgChart c = new SvgChart("Backend IOPS over time", "seconds since the storm started", "backend reads per second");
    for (int i = 0; i < o.modes().size(); i++) {
      ModeResult m = o.modes().get(i);
      long[] v = m.iopsPerSecond();
      double[] xs = new double[v.length + 1];
      double[] ys = new double[v.length + 1];
      for (int s = 0; s < v.length; s++) {
        xs[s] = s;
        ys[s] = v[s];
      }
      xs[v.length] = v.length;
      ys[v.length] = v.length == 0 ? 0 : v[v.length - 1];
      c.add(new SvgChart.Series(m.mode() + (m.iopsExact() ? "" : " (sampled)"), COLORS[i % COLORS.length], xs, ys, true));
    }
    if (o.iopsCap() > 0) c.reference(o.iopsCap(), "cap " + o.iopsCap() + " IOPS");
    return c.render();
  }

  private static String cdfChart(StormOutcome o) {
    SvgChart c = new SvgChart("Boot time CDF", "boot time (s)", "fraction of VMs booted").maxY(1);
    for (int i = 0; i < o.modes().size(); i++) {
      ModeResult m = o.modes().get(i);
      double[] t = Arrays.stream(m.bootMs()).filter(d -> !Double.isNaN(d)).sorted().toArray();
      double[] xs = new double[t.length + 1];
      double[] ys = new double[t.length + 1];
      xs[0] = t.length == 0 ? 0 : t[0] / 1000;
      for (int k = 0; k < t.length; k++) {
        xs[k + 1] = t[k] / 1000;
        ys[k + 1] = (k + 1.0) / t.length;
      }
      c.add(new SvgChart.Series(m.mode(), COLORS[i % COLORS.length], xs, ys, true));
      double alone = o.aloneBootMs()[i];
      if (!Double.isNaN(alone)) {
        c.add(new SvgChart.Series(m.mode() + ": one VM alone", COLORS[i % COLORS.length],
            new double[] {alone / 1000, alone / 1000}, new double[] {0, 1}, false, true));
      }
    }
    return c.render();
  }

  private static String hitChart(StormOutcome o) {
    SvgChart c = new SvgChart("Cache hit ratio over time", "seconds since the storm started", "block hit ratio (%)").maxY(100);
    boolean any = false;
    for (int i = 0; i < o.modes().size(); i++) {
      ModeResult m = o.modes().get(i);
      if (!m.hasCache()) continue;
      any = true;
      List<Sample> s = m.samples();
      double[] r = m.hitRatioPerSecond();
      double[] xs = new double[r.length];
      double[] ys = new double[r.length];
      for (int k = 0; k < r.length; k++) {
        xs[k] = s.get(k + 1).seconds();
        ys[k] = r[k] * 100;
      }
      c.add(new SvgChart.Series(m.mode(), COLORS[i % COLORS.length], xs, ys, false));
    }
    return any ? c.render() : null;
  }

  private static String esc(String s) {
    return SvgChart.esc(s == null ? "" : s);
  }
}
