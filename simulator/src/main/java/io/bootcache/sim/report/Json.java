package io.bootcache.sim.report;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/** A small JSON writer for the results: maps, collections, arrays, numbers, strings, booleans, null. */
public final class Json {
  private Json() {}

  public static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out, 0);
    return out.append('\n').toString();
  }

  private static void write(Object v, StringBuilder out, int indent) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof String s) {
      string(s, out);
    } else if (v instanceof Boolean b) {
      out.append(b);
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      out.append(Double.isFinite(d) ? number(d) : "null");
    } else if (v instanceof Number n) {
      out.append(n.longValue());
    } else if (v instanceof Map<?, ?> m) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.append(first ? "\n" : ",\n");
        first = false;
        pad(out, indent + 2);
        string(String.valueOf(e.getKey()), out);
        out.append(": ");
        write(e.getValue(), out, indent + 2);
      }
      if (!first) {
        out.append('\n');
        pad(out, indent);
      }
      out.append('}');
    } else if (v instanceof Collection<?> c) {
      out.append('[');
      boolean first = true;
      for (Object o : c) {
        out.append(first ? "" : ", ");
        first = false;
        write(o, out, indent);
      }
      out.append(']');
    } else if (v instanceof double[] a) {
      out.append('[');
      for (int i = 0; i < a.length; i++) out.append(i == 0 ? "" : ", ").append(Double.isFinite(a[i]) ? number(a[i]) : "null");
      out.append(']');
    } else if (v instanceof long[] a) {
      out.append('[');
      for (int i = 0; i < a.length; i++) out.append(i == 0 ? "" : ", ").append(a[i]);
      out.append(']');
    } else {
      string(v.toString(), out);
    }
  }

  private static String number(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
    return String.format(Locale.ROOT, "%.6g", d).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2").replace(".e", "e").replaceAll("\\.$", "");
  }

  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    out.append('"');
  }

  private static void pad(StringBuilder out, int n) {
    out.append(" ".repeat(n));
  }
}
