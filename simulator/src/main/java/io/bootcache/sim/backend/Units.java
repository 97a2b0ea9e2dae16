package io.bootcache.sim.backend;

import java.util.Locale;

/** Human-readable byte counts and parsing of sizes like "64MiB", "1g", "4096". */
public final class Units {
  private Units() {}

  public static String bytes(long b) {
    if (b < 1024) return b + " B";
    if (b < 1024L * 1024) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    if (b < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
    return String.format(Locale.ROOT, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  }

  /** Parses "4096", "16k", "16KiB", "64m", "1GiB", "1.5g" (powers of 1024). */
  public static long parseBytes(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
    long mult = 1;
    if (t.endsWith("k")) mult = 1024;
    else if (t.endsWith("m")) mult = 1024L * 1024;
    else if (t.endsWith("g")) mult = 1024L * 1024 * 1024;
    else if (t.endsWith("t")) mult = 1024L * 1024 * 1024 * 1024;
    if (mult != 1) t = t.substring(0, t.length() - 1);
    try {
      double v = Double.parseDouble(t.trim());
      if (v < 0 || Double.isNaN(v)) throw new NumberFormatException();
      return (long) Math.round(v * mult);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a size: '" + s + "' (examples: 4096, 16KiB, 64MiB, 1GiB)");
    }
  }
}
