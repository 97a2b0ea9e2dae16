package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nbdkit's log filter output, e.g.
 * {@code 2024-05-01 10:00:00.000123 connection=1 Read id=1 offset=0x0 count=0x200 ...}.
 * Only the call lines of Read and Write are requests (return lines start with "..."); calls of
 * other operations (Flush, Trim, Zero, Extents, Cache...) and empty requests are counted and skipped. The
 * timestamp is optional; without one, requests are 1 ms apart. A stream is one connection.
 */
public final class NbdkitLogTrace implements TraceFormat {
  private static final Pattern LINE = Pattern.compile(
      "\\s*(?:(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)\\s+)?connection=(\\d+)\\s+(Read|Write)\\s+id=\\d+\\s+"
          + "offset=(0x[0-9a-fA-F]+|\\d+)\\s+count=(0x[0-9a-fA-F]+|\\d+)(?:\\s.*)?");
  private static final Pattern OTHER_CALL = Pattern.compile("\\s*(?:\\S+ \\S+\\s+)?connection=\\d+\\s+([A-Z][A-Za-z]*)\\s+id=.*");
  private static final Pattern ANY = Pattern.compile("\\s*(?:\\d{4}-\\d{2}-\\d{2} [0-9:.]+\\s+)?connection=\\d+\\s.*");
  private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
      .appendPattern("yyyy-MM-dd HH:mm:ss")
      .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
      .toFormatter();

  @Override
  public String name() {
    return "nbdkit";
  }

  @Override
  public boolean looksLike(String line) {
    return ANY.matcher(line).matches();
  }

  @Override
  public Trace parse(BufferedReader in, String source) throws IOException {
    List<TraceRecord> out = new ArrayList<>();
    Map<String, Long> skipped = new HashMap<>();
    LocalDateTime first = null;
    String line;
    int n = 0;
    while ((line = in.readLine()) != null) {
      n++;
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        if (line.matches("\\s*(?:\\S+ \\S+\\s+)?connection=\\d+\\s+(Read|Write)\\s.*")) {
          throw TraceFormat.bad(source, n, "a Read or Write line without id=, offset= and count=", line);
        }
        Matcher other = OTHER_CALL.matcher(line);
        if (other.matches()) skipped.merge(other.group(1), 1L, Long::sum);
        continue;
      }
      double ms;
      if (m.group(1) != null) {
        LocalDateTime at = LocalDateTime.parse(m.group(1), TIME);
        if (first == null) first = at;
        ms = ChronoUnit.NANOS.between(first, at) / 1e6;
      } else {
        ms = out.size();
      }
      long offset = number(m.group(4));
      long count = number(m.group(5));
      if (count == 0) {
        skipped.merge(EMPTY, 1L, Long::sum);
        continue;
      }
      out.add(new TraceRecord(ms, "connection" + m.group(2), m.group(3).equals("Write"), offset, count));
    }
    return new Trace(out, skipped);
  }

  private static long number(String s) {
    return s.startsWith("0x") ? Long.parseUnsignedLong(s.substring(2), 16) : Long.parseLong(s);
  }
}
