package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * MSR Cambridge block traces: {@code Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime},
 * the timestamp in Windows filetime (100 ns units). A stream is one host's disk. Empty requests are
 * counted and skipped.
 */
public final class MsrTrace implements TraceFormat {
  private static final Pattern LINE =
      Pattern.compile("\\s*\\d{10,}\\s*,[^,]*,\\s*\\d+\\s*,\\s*(?i:read|write)\\s*,\\s*\\d+\\s*,\\s*\\d+\\s*,\\s*\\d+\\s*");

  @Override
  public String name() {
    return "msr";
  }

  @Override
  public boolean looksLike(String line) {
    return LINE.matcher(line).matches();
  }

  @Override
  public Trace parse(BufferedReader in, String source) throws IOException {
    List<TraceRecord> out = new ArrayList<>();
    Map<String, Long> skipped = new HashMap<>();
    long first = -1;
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      n++;
      String t = line.trim();
      if (t.isEmpty() || t.startsWith("#")) continue;
      if (out.isEmpty() && t.toLowerCase().startsWith("timestamp")) continue;
      String[] f = t.split(",", -1);
      if (f.length != 7) throw TraceFormat.bad(source, n, "expected 7 fields Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime", t);
      try {
        long ticks = Long.parseLong(f[0].trim());
        if (first < 0) first = ticks;
        boolean write = switch (f[3].trim().toLowerCase()) {
          case "read" -> false;
          case "write" -> true;
          default -> throw TraceFormat.bad(source, n, "Type must be Read or Write", t);
        };
        long offset = Long.parseLong(f[4].trim());
        long size = Long.parseLong(f[5].trim());
        if (offset < 0 || size < 0) throw TraceFormat.bad(source, n, "negative offset or size", t);
        if (size == 0) {
          skipped.merge(EMPTY, 1L, Long::sum);
          continue;
        }
        out.add(new TraceRecord((ticks - first) / 10_000.0, f[1].trim() + "/" + f[2].trim(), write, offset, size));
      } catch (NumberFormatException e) {
        throw TraceFormat.bad(source, n, "not a number (" + e.getMessage() + ")", t);
      }
    }
    return new Trace(out, skipped);
  }
}
