package io.bootcache.sim.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Reads a trace file in a named format, or finds the format from the file's first data lines. */
public final class Traces {
  private static final int BYTE_ORDER_MARK = '\uFEFF';

  private Traces() {}

  public static TraceFormat format(String name, String blkparseAction) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "csv" -> new CsvTrace();
      case "msr" -> new MsrTrace();
      case "blkparse" -> new BlkparseTrace(blkparseAction);
      case "nbdkit" -> new NbdkitLogTrace();
      default -> throw new IllegalArgumentException("unknown trace format '" + name + "' (known: auto, csv, msr, blkparse, nbdkit)");
    };
  }

  /** The first format whose data lines match one of the first 50 non-empty lines. */
  public static TraceFormat detect(Path file, String blkparseAction) throws IOException {
    List<TraceFormat> formats = List.of(new MsrTrace(), new CsvTrace(), new BlkparseTrace(blkparseAction), new NbdkitLogTrace());
    try (BufferedReader in = open(file)) {
      String line;
      int seen = 0;
      while ((line = in.readLine()) != null && seen < 50) {
        if (line.isBlank() || line.trim().startsWith("#")) continue;
        seen++;
        for (TraceFormat f : formats) if (f.looksLike(line)) return f;
      }
    }
    throw new IllegalArgumentException(file + ": not a known trace format (csv t_ms,vm,op,offset,length[,...]; msr; blkparse; nbdkit log)."
        + " Name it with --trace-format.");
  }

  public static Trace read(Path file, String formatName, String blkparseAction) throws IOException {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("trace file not found: " + file);
    TraceFormat format = formatName == null || formatName.equalsIgnoreCase("auto")
        ? detect(file, blkparseAction) : format(formatName, blkparseAction);
    try (BufferedReader in = open(file)) {
      Trace trace = format.parse(in, file.getFileName().toString());
      if (trace.requests().isEmpty()) {
        String why = trace.skipped().isEmpty() ? "" : "; " + trace.skippedSummary();
        throw new IllegalArgumentException(file + ": no read or write requests found (format " + format.name() + ")" + why);
      }
      return trace;
    }
  }

  /** The file as UTF-8 text, past a byte order mark (spreadsheets write one). */
  private static BufferedReader open(Path file) throws IOException {
    BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    in.mark(1);
    if (in.read() != BYTE_ORDER_MARK) in.reset();
    return in;
  }
}
