package io.bootcache.node.read;

import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;

/**
 * One validated range to read: of an image, or of a disk (its layer over the image).
 * {@code admit}: misses are added to the cache (the read is part of a boot session or a warm-up).
 */
public record ReadRequest(Image image, Disk disk, long offset, long length, boolean admit) {
  public long firstBlock() {
    return offset / image.getBlockSize();
  }

  public int blockCount() {
    long last = (offset + length - 1) / image.getBlockSize();
    return (int) (last - firstBlock() + 1);
  }
}
