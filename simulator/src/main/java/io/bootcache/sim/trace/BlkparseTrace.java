package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * blkparse's default text output:
 * {@code  8,0    3    1    0.000000000   697  Q   R 223490 + 8 [kjournald]}
 * (device, cpu, sequence, seconds, pid, action, RWBS, sector + sectors, process). Sectors are 512
 * bytes. Each request appears once per action (Q queued, D issued, C completed...); one action is
 * kept: the given one, else Q if the trace has any, else D, else C. A stream is one device.
 * Summary lines and other actions are passed over; requests of the kept action that carry no data
 * (flushes, discards, empty ones) are counted by their RWBS and skipped.
 */
public final class BlkparseTrace implements TraceFormat {
  private static final Pattern LINE = Pattern.compile(
      "\\s*(\\d+,\\d+)\\s+\\d+\\s+\\d+\\s+(\\d+\\.\\d+)\\s+\\d+\\s+([A-Z]{1,2})\\s+([A-Z]+)\\s+(\\d+)\\s+\\+\\s+(\\d+)(?:\\s.*)?");

  private final String action;

  /** {@code action} null picks Q, D or C, whichever the trace has first in that order. */
  public BlkparseTrace(String action) {
    if (action != null && !List.of("Q", "D", "C").contains(action)) {
      throw new IllegalArgumentException("blkparse action must be Q, D or C, got '" + action + "'");
    }
    this.action = action;
  }

  @Override
  public String name() {
    return "blkparse";
  }

  @Override
  public boolean looksLike(String line) {
    return LINE.matcher(line).matches();
  }

  @Override
  public Trace parse(BufferedReader in, String source) throws IOException {
    List<String[]> rows = new ArrayList<>();
    boolean hasQ = false;
    boolean hasD = false;
    String line;
    while ((line = in.readLine()) != null) {
      Matcher m = LINE.matcher(line);
      if (!m.matches()) continue;
      String a = m.group(3);
      hasQ |= a.equals("Q");
      hasD |= a.equals("D");
      rows.add(new String[] {m.group(1), m.group(2), a, m.group(4), m.group(5), m.group(6)});
    }
    String keep = action != null ? action : hasQ ? "Q" : hasD ? "D" : "C";
    List<TraceRecord> out = new ArrayList<>();
    Map<String, Long> skipped = new HashMap<>();
    double first = Double.NaN;
    for (String[] r : rows) {
      if (!r[2].equals(keep)) continue;
      String rwbs = r[3];
      boolean write = rwbs.contains("W");
      boolean read = rwbs.contains("R");
      long sectors = Long.parseLong(r[5]);
      // discards, flushes without data, and zero-length requests carry no blocks
      if ((!read && !write) || rwbs.contains("D")) {
        skipped.merge(rwbs, 1L, Long::sum);
        continue;
      }
      if (sectors == 0) {
        skipped.merge(EMPTY, 1L, Long::sum);
        continue;
      }
      double seconds = Double.parseDouble(r[1]);
      if (Double.isNaN(first)) first = seconds;
      out.add(new TraceRecord((seconds - first) * 1000, r[0], write, Long.parseLong(r[4]) * 512, sectors * 512));
    }
    return new Trace(out, skipped);
  }
}
