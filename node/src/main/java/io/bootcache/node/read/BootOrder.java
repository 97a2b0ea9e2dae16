package io.bootcache.node.read;

import io.bootcache.v1.BootProfile;
import java.util.ArrayList;
import java.util.List;

/** A profile's blocks in boot order, as ranges of consecutive blocks: what warm-up and prefetch read. */
public final class BootOrder {
  /** The longest range read at once: 64 blocks, 256 KiB of 4 KiB blocks. */
  static final int MAX_RUN = 64;

  public record Run(long firstBlock, int blocks) {}

  private BootOrder() {}

  public static List<Run> runs(BootProfile profile, long maxBytes) {
    List<Run> runs = new ArrayList<>();
    long budget = maxBytes > 0 ? maxBytes / Math.max(1, profile.getBlockSize()) : Long.MAX_VALUE;
    long first = -1;
    int n = 0;
    for (int i = 0; i < profile.getBlocksCount() && budget > 0; i++, budget--) {
      long b = profile.getBlocks(i);
      if (n > 0 && b == first + n && n < MAX_RUN) {
        n++;
        continue;
      }
      if (n > 0) runs.add(new Run(first, n));
      first = b;
      n = 1;
    }
    if (n > 0) runs.add(new Run(first, n));
    return runs;
  }
}
