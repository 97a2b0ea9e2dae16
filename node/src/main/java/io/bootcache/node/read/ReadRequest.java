package io.bootcache.node.read;

import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;

/** One validated range to read: of an image, or of a disk (its layer over the image), and what it may cache. */
public record ReadRequest(Image image, Disk disk, long offset, long length, Admission admission) {

  /** Whether a read's blocks are kept: only a boot's, a warm-up's and a prefetch's are. */
  public enum Admission {
    /** Served, not cached. */
    NONE,
    /** A boot's read or a warm-up's: misses go into the cluster and this host's tier. */
    BOOT,
    /** A prefetch ahead of a boot: as BOOT, and counted until a boot reads the block. */
    PREFETCH;

    public static Admission of(boolean boot) {
      return boot ? BOOT : NONE;
    }
  }

  public boolean admits() {
    return admission != Admission.NONE;
  }

  public long firstBlock() {
    return offset / image.getBlockSize();
  }

  public int blockCount() {
    long last = (offset + length - 1) / image.getBlockSize();
    return (int) (last - firstBlock() + 1);
  }
}
