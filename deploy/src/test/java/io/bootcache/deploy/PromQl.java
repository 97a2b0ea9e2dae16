package io.bootcache.deploy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names a PromQL expression (or a Grafana label_values query) selects. */
final class PromQl {
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*\\}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*\\]");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([^,)]+?)\\s*,[^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");

  private PromQl() {}

  static Set<String> metricNames(String expression) {
    Set<String> out = new LinkedHashSet<>();
    String e = expression;
    Matcher lv = LABEL_VALUES.matcher(e);
    while (lv.find()) out.addAll(metricNames(lv.group(1)));
    e = lv.replaceAll(" ");
    e = STRING.matcher(e).replaceAll(" ");
    e = MATCHERS.matcher(e).replaceAll(" ");
    e = RANGE.matcher(e).replaceAll(" ");
    e = GROUPING.matcher(e).replaceAll(" ");
    Matcher id = IDENTIFIER.matcher(e);
    while (id.find()) {
      String name = id.group();
      int after = id.end();
      while (after < e.length() && Character.isWhitespace(e.charAt(after))) after++;
      boolean function = after < e.length() && e.charAt(after) == '(';
      boolean number = id.start() > 0 && (Character.isDigit(e.charAt(id.start() - 1)) || e.charAt(id.start() - 1) == '.');
      if (!function && !number && !KEYWORDS.contains(name.toLowerCase())) out.add(name);
    }
    return out;
  }
}
