package io.bootcache.node.catalog;

import io.bootcache.node.ApiError;
import java.util.regex.Pattern;

/** What an image, disk or session id may look like: safe in file names, metrics labels and URLs. */
public final class Ids {
  public static final int MAX_LENGTH = 128;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  private Ids() {}

  /** Returns the id, or throws INVALID_ARGUMENT naming what is wrong with it. */
  public static String check(String what, String id) {
    if (id == null || id.isEmpty()) throw ApiError.invalid(what + " id is missing");
    if (id.length() > MAX_LENGTH) {
      throw ApiError.invalid(what + " id is " + id.length() + " characters long; the most is " + MAX_LENGTH);
    }
    if (!VALID.matcher(id).matches()) {
      throw ApiError.invalid(what + " id '" + printable(id)
          + "' has a character other than A-Z a-z 0-9 . _ - or does not start with a letter or digit");
    }
    return id;
  }

  /** The id as it can be quoted in an error message: control characters escaped, cut at 64. */
  static String printable(String id) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < id.length() && sb.length() < 64; i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c)); else sb.append(c);
    }
    return sb.toString();
  }
}
