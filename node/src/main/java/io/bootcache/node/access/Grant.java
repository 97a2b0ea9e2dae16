package io.bootcache.node.access;

import io.bootcache.node.catalog.TargetKind;
import java.util.Set;

/**
 * One line of a grants file: a role over some images and disks. A scope of null means every one of
 * that kind; an empty scope, none.
 */
record Grant(Role role, Set<String> images, Set<String> disks) {
  static final Set<String> EVERY = null;

  /** True when this grant lets its principal do what {@code needed} may with that image or disk. */
  boolean allows(Role needed, TargetKind kind, String id) {
    if (!role.includes(needed)) return false;
    Set<String> scope = kind == TargetKind.IMAGE ? images : disks;
    return scope == EVERY || scope.contains(id);
  }
}
