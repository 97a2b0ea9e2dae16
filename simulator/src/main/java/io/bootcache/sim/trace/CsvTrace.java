package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** {@code t_ms,vm,op,offset,length}; op is R, W, read or write; an optional header line; # comments. */
public final class CsvTrace implements TraceFormat {
  private static final Pattern LINE = Pattern.compile("\\s*[0-9.]+\\s*,[^,]*,\\s*(?i:r|w|read|write)\\s*,\\s*\\d+\\s*,\\s*\\d+\\s*");

  @Override
  public String name() {
    return "csv";
  }

  @Override
  public boolean looksLike(String line) {
    return LINE.matcher(line).matches();
  }

  @Override
  public List<TraceRecord> parse(BufferedReader in, String source) throws IOException {
    List<TraceRecord> out = new ArrayList<>();
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      n++;
      String t = line.trim();
      if (t.isEmpty() || t.startsWith("#")) continue;
      // a header line, before the first record
      if (out.isEmpty() && t.toLowerCase().startsWith("t_ms")) continue;
      String[] f = t.split(",", -1);
      if (f.length != 5) throw TraceFormat.bad(source, n, "expected 5 fields t_ms,vm,op,offset,length", t);
      try {
        double ms = Double.parseDouble(f[0].trim());
        String op = f[2].trim().toLowerCase();
        boolean write = switch (op) {
          case "r", "read" -> false;
          case "w", "write" -> true;
          default -> throw TraceFormat.bad(source, n, "op must be R or W", t);
        };
        long offset = Long.parseLong(f[3].trim());
        long length = Long.parseLong(f[4].trim());
        if (ms < 0 || offset < 0 || length <= 0) throw TraceFormat.bad(source, n, "negative time or offset, or length not positive", t);
        out.add(new TraceRecord(ms, f[1].trim(), write, offset, length));
      } catch (NumberFormatException e) {
        throw TraceFormat.bad(source, n, "not a number (" + e.getMessage() + ")", t);
      }
    }
    return out;
  }
}
