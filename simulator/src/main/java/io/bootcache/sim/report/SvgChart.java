package io.bootcache.sim.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A line chart as inline SVG, drawn here so the report needs nothing from the network: axes with
 * round ticks, one polyline per series (or steps), an optional dashed horizontal reference line,
 * and a legend.
 */
public final class SvgChart {
  public record Series(String name, String color, double[] xs, double[] ys, boolean steps, boolean dashed) {
    public Series(String name, String color, double[] xs, double[] ys, boolean steps) {
      this(name, color, xs, ys, steps, false);
    }
  }

  private static final int W = 760;
  private static final int H = 320;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 40;
  private static final int BOTTOM = 50;

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();
  private Double refY;
  private String refLabel;
  private Double fixedMaxY;

  public SvgChart(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  public SvgChart add(Series s) {
    series.add(s);
    return this;
  }

  public SvgChart reference(double y, String label) {
    refY = y;
    refLabel = label;
    return this;
  }

  public SvgChart maxY(double y) {
    fixedMaxY = y;
    return this;
  }

  public String render() {
    double maxX = 0;
    double maxY = 0;
    for (Series s : series) {
      for (double x : s.xs()) if (Double.isFinite(x)) maxX = Math.max(maxX, x);
      for (double y : s.ys()) if (Double.isFinite(y)) maxY = Math.max(maxY, y);
    }
    if (refY != null) maxY = Math.max(maxY, refY * 1.05);
    if (fixedMaxY != null) maxY = fixedMaxY;
    double xStep = niceStep(maxX <= 0 ? 1 : maxX);
    double yStep = niceStep(maxY <= 0 ? 1 : maxY);
    double xMax = Math.max(xStep, Math.ceil(maxX / xStep) * xStep);
    double yMax = fixedMaxY != null ? fixedMaxY : Math.max(yStep, Math.ceil(maxY / yStep) * yStep);
    int pw = W - LEFT - RIGHT;
    int ph = H - TOP - BOTTOM;
    StringBuilder s = new StringBuilder();
    int height = H + 14 + 18 * legendRows(pw);
    s.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
        + "font-family=\"sans-serif\" font-size=\"12\">", W, height, W, height));
    s.append("<title>").append(esc(title)).append("</title>");
    s.append(f("<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>", W, height));
    s.append(f("<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>", LEFT, esc(title)));
    // grid and ticks
    for (double y = 0; y <= yMax + yStep / 1000; y += yStep) {
      double py = TOP + ph - y / yMax * ph;
      s.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>", LEFT, py, LEFT + pw, py));
      s.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#444\">%s</text>", LEFT - 6, py + 4, tick(y, yStep)));
    }
    for (double x = 0; x <= xMax + xStep / 1000; x += xStep) {
      double px = LEFT + x / xMax * pw;
      s.append(f("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#f0f0f0\"/>", px, TOP, px, TOP + ph));
      s.append(f("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#444\">%s</text>", px, TOP + ph + 18, tick(x, xStep)));
    }
    s.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", LEFT, TOP + ph, LEFT + pw, TOP + ph));
    s.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>", LEFT, TOP, LEFT, TOP + ph));
    s.append(f("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#222\">%s</text>", LEFT + pw / 2, H - 10, esc(xLabel)));
    s.append(f("<text x=\"16\" y=\"%d\" text-anchor=\"middle\" fill=\"#222\" transform=\"rotate(-90 16 %d)\">%s</text>",
        TOP + ph / 2, TOP + ph / 2, esc(yLabel)));
    if (refY != null) {
      double py = TOP + ph - refY / yMax * ph;
      s.append(f("<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c0392b\" stroke-dasharray=\"6 4\"/>", LEFT, py, LEFT + pw, py));
      s.append(f("<text x=\"%d\" y=\"%.1f\" text-anchor=\"start\" fill=\"#c0392b\">%s</text>", LEFT + 6, py - 5, esc(refLabel)));
    }
    for (Series se : series) {
      StringBuilder pts = new StringBuilder();
      double prevY = Double.NaN;
      for (int i = 0; i < se.xs().length; i++) {
        double x = se.xs()[i];
        double y = se.ys()[i];
        if (!Double.isFinite(x) || !Double.isFinite(y)) continue;
        double px = LEFT + Math.min(x, xMax) / xMax * pw;
        double py = TOP + ph - Math.min(y, yMax) / yMax * ph;
        if (se.steps() && !Double.isNaN(prevY)) pts.append(f("%.1f,%.1f ", px, prevY));
        pts.append(f("%.1f,%.1f ", px, py));
        prevY = py;
      }
      s.append(f("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"%s\"/>", se.color(),
          se.dashed() ? " stroke-dasharray=\"5 4\"" : "", pts.toString().trim()));
    }
    // legend under the plot, wrapped into rows, so it never hides a line
    int lx = LEFT;
    int ly = H + 4;
    for (Series se : series) {
      int w = 34 + se.name().length() * 7;
      if (lx + w > LEFT + pw && lx > LEFT) {
        lx = LEFT;
        ly += 18;
      }
      s.append(f("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"%s/>", lx, ly + 2, lx + 16, ly + 2,
          se.color(), se.dashed() ? " stroke-dasharray=\"4 3\"" : ""));
      s.append(f("<text x=\"%d\" y=\"%d\" fill=\"#222\">%s</text>", lx + 22, ly + 6, esc(se.name())));
      lx += w;
    }
    s.append("</svg>");
    return s.toString();
  }

  private int legendRows(int pw) {
    int rows = 1;
    int lx = LEFT;
    for (Series se : series) {
      int w = 34 + se.name().length() * 7;
      if (lx + w > LEFT + pw && lx > LEFT) {
        lx = LEFT;
        rows++;
      }
      lx += w;
    }
    return rows;
  }

  static double niceStep(double range) {
    double raw = range / 5;
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double n = raw / mag;
    double step = n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10;
    return step * mag;
  }

  private static String tick(double v, double step) {
    if (step >= 1) return String.format(Locale.ROOT, "%,d", Math.round(v));
    int decimals = (int) Math.ceil(-Math.log10(step));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
