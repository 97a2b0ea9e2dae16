package io.bootcache.node.access;

import java.util.Locale;

/** What a principal may do with the images and disks it is granted; each role includes the ones below it. */
public enum Role {
  /** Fetch (read) images and disks, their profiles and prefetches. */
  READER,
  /** Also boot them: boot sessions, recording reads and writes, marking its disks stale. */
  HOST,
  /** Also manage them: register images and disks, resync, reset, warm. */
  ADMIN;

  /** True when this role may do what {@code needed} may. */
  public boolean includes(Role needed) {
    return compareTo(needed) >= 0;
  }

  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** admin, host or reader. */
  static Role of(String word) {
    for (Role r : values()) {
      if (r.word().equals(word)) return r;
    }
    throw new IllegalArgumentException("'" + word + "' is not a role: admin, host or reader");
  }
}
