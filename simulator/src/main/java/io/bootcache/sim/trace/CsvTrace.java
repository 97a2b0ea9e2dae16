package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code t_ms,vm,op,offset,length}, plus any further columns (ignored). A header line names the
 * columns, in any order; without one they are the first five. op R or read, W or write is replayed;
 * any other op (F for flush, E for block status, T for trim...) and empty requests are counted and
 * skipped. # comments.
 */
public final class CsvTrace implements TraceFormat {
  private static final List<String> COLUMNS = List.of("t_ms", "vm", "op", "offset", "length");
  private static final Pattern LINE = Pattern.compile("\\s*[0-9.]+\\s*,[^,]*,\\s*[A-Za-z_]+\\s*,[^,]*,[^,]*(,.*)?");
  private static final Pattern OP = Pattern.compile("[A-Za-z_]+");

  @Override
  public String name() {
    return "csv";
  }

  @Override
  public boolean looksLike(String line) {
    return LINE.matcher(line).matches() || isHeader(line.split(",", -1));
  }

  @Override
  public Trace parse(BufferedReader in, String source) throws IOException {
    List<TraceRecord> out = new ArrayList<>();
    Map<String, Long> skipped = new HashMap<>();
    int[] column = {0, 1, 2, 3, 4};
    int needed = COLUMNS.size();
    boolean dataSeen = false;
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      n++;
      String t = line.trim();
      if (t.isEmpty() || t.startsWith("#")) continue;
      String[] f = t.split(",", -1);
      if (!dataSeen && isHeader(f)) {
        column = columnsOf(f);
        needed = 1 + Arrays.stream(column).max().orElseThrow();
        continue;
      }
      dataSeen = true;
      if (f.length < needed) throw TraceFormat.bad(source, n, "expected at least " + needed + " fields (t_ms,vm,op,offset,length)", t);
      String op = f[column[2]].trim();
      Boolean write = switch (op.toLowerCase(Locale.ROOT)) {
        case "r", "read" -> false;
        case "w", "write" -> true;
        default -> null;
      };
      if (write == null) {
        if (!OP.matcher(op).matches()) throw TraceFormat.bad(source, n, "op must be a name such as R, W or F", t);
        skipped.merge(op, 1L, Long::sum);
        continue;
      }
      try {
        double ms = Double.parseDouble(f[column[0]].trim());
        long offset = Long.parseLong(f[column[3]].trim());
        long length = Long.parseLong(f[column[4]].trim());
        if (ms < 0 || offset < 0 || length < 0) throw TraceFormat.bad(source, n, "negative time, offset or length", t);
        if (length == 0) {
          skipped.merge(EMPTY, 1L, Long::sum);
          continue;
        }
        out.add(new TraceRecord(ms, f[column[1]].trim(), write, offset, length));
      } catch (NumberFormatException e) {
        throw TraceFormat.bad(source, n, "not a number (" + e.getMessage() + ")", t);
      }
    }
    return new Trace(out, skipped);
  }

  /** A header names at least t_ms, vm, op, offset and length. */
  private static boolean isHeader(String[] fields) {
    return columnsOf(fields) != null;
  }

  /** Where t_ms, vm, op, offset and length are in a header line, or null if it is not one. */
  private static int[] columnsOf(String[] fields) {
    List<String> names = Arrays.stream(fields).map(s -> s.trim().toLowerCase(Locale.ROOT)).toList();
    int[] column = new int[COLUMNS.size()];
    for (int i = 0; i < column.length; i++) {
      column[i] = names.indexOf(COLUMNS.get(i));
      if (column[i] < 0) return null;
    }
    return column;
  }
}
