package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;

/** A text trace format: recognises its own lines and parses a whole trace. */
public interface TraceFormat {
  /** How skipped requests of no bytes are counted. */
  String EMPTY = "empty";

  String name();

  /** Whether this (non-empty, non-comment) line looks like a data line of this format. */
  boolean looksLike(String line);

  /**
   * Parses every request of the trace. A line that claims to be a request but is malformed is an
   * error naming the source and line number; lines that are not requests (headers, summaries) are
   * passed over, and operations a replay cannot send (flushes, trims, empty requests) are counted as
   * skipped.
   */
  Trace parse(BufferedReader in, String source) throws IOException;

  static IllegalArgumentException bad(String source, int line, String why, String text) {
    String shown = text.length() > 120 ? text.substring(0, 120) + "..." : text;
    return new IllegalArgumentException(source + ":" + line + ": " + why + ": '" + shown + "'");
  }
}
