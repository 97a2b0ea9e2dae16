package io.bootcache.cli;

import picocli.CommandLine;

import java.util.Locale;

/** Byte counts for people: "4.0 KiB", and parsing "4k", "1M", "512", "2GiB". */
final class Sizes {
  private Sizes() {}

  static String human(long bytes) {
    if (bytes < 1024) return bytes + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static long parse(String s) {
    String t = s.trim();
    String lower = t.toLowerCase(Locale.ROOT);
    long mult = 1;
    String[][] suffixes = {{"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"}, {"k", "1024"}, {"m", "1048576"},
        {"g", "1073741824"}, {"b", "1"}};
    for (String[] sfx : suffixes) {
      if (lower.endsWith(sfx[0])) {
        mult = Long.parseLong(sfx[1]);
        t = t.substring(0, t.length() - sfx[0].length()).trim();
        break;
      }
    }
    long n;
    try {
      n = Long.parseLong(t);
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + s + "' is not a byte count (e.g. 4096, 4k, 1M, 2GiB)");
    }
    try {
      return Math.multiplyExact(n, mult);
    } catch (ArithmeticException e) {
      throw new CommandLine.TypeConversionException("'" + s + "' is too large");
    }
  }

  /** picocli converter for byte-count arguments. */
  static final class Converter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return parse(value);
    }
  }
}
