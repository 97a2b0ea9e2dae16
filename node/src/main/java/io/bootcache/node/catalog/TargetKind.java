package io.bootcache.node.catalog;

import java.util.Locale;

/** What holds an id in the shared namespace of images and disks. */
public enum TargetKind {
  IMAGE,
  DISK;

  String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}
