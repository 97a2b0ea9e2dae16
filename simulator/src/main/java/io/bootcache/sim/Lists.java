package io.bootcache.sim;

/** How options that take lists are split: at commas, spaces around them ignored ("none, cold"). */
final class Lists {
  static final String COMMAS = "\\s*,\\s*";

  private Lists() {}
}
