package io.bootcache.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table: columns padded to their widest cell, numbers right-aligned. */
final class Table {
  private final String[] headers;
  private final boolean[] rightAligned;
  private final List<String[]> rows = new ArrayList<>();

  Table(String... headers) {
    this.headers = headers;
    this.rightAligned = new boolean[headers.length];
  }

  /** Right-aligns the named columns (sizes, counts). */
  Table right(int... columns) {
    for (int c : columns) rightAligned[c] = true;
    return this;
  }

  Table row(Object... cells) {
    String[] r = new String[headers.length];
    for (int i = 0; i < r.length; i++) r[i] = i < cells.length && cells[i] != null ? cells[i].toString() : "";
    rows.add(r);
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  void print(PrintWriter out) {
    int[] width = new int[headers.length];
    for (int i = 0; i < headers.length; i++) width[i] = headers[i].length();
    for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
    line(out, headers, width);
    for (String[] r : rows) line(out, r, width);
    out.flush();
  }

  private void line(PrintWriter out, String[] cells, int[] width) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      boolean last = i == cells.length - 1;
      String pad = " ".repeat(width[i] - cells[i].length());
      if (rightAligned[i]) sb.append(pad).append(cells[i]);
      else sb.append(cells[i]).append(last ? "" : pad);
      if (!last) sb.append("  ");
    }
    out.println(sb.toString().stripTrailing());
  }
}
