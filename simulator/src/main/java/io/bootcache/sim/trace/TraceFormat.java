package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.List;

/** A text trace format: recognises its own lines and parses a whole trace. */
public interface TraceFormat {
  String name();

  /** Whether this (non-empty, non-comment) line looks like a data line of this format. */
  boolean looksLike(String line);

  /**
   * Parses every request of the trace. A line that claims to be a request but is malformed is an
   * error naming the source and line number; lines that are not requests (headers, summaries) are
   * skipped.
   */
  List<TraceRecord> parse(BufferedReader in, String source) throws IOException;

  static IllegalArgumentException bad(String source, int line, String why, String text) {
    String shown = text.length() > 120 ? text.substring(0, 120) + "..." : text;
    return new IllegalArgumentException(source + ":" + line + ": " + why + ": '" + shown + "'");
  }
}
