package io.bootcache.node.record;

import com.google.protobuf.InvalidProtocolBufferException;
import io.bootcache.node.catalog.MetadataFiles;
import io.bootcache.node.cluster.Caches;
import io.bootcache.v1.BootProfile;
import java.util.Arrays;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;

/**
 * Boot profiles: per image, which blocks its boots read, when first (the earliest over boots) and
 * by how many boots; merged as each recorded boot ends, and kept in the data directory too. A
 * profile keeps at most {@link #MAX_BLOCKS} blocks, whatever its boots read.
 */
public final class ProfileStore {
  /** Blocks a profile keeps at most (the earliest read): 4 GiB of 4 KiB blocks. */
  public static final int MAX_BLOCKS = FirstTouches.MAX_BLOCKS;
  private final IgniteCache<String, byte[]> profiles;
  private final MetadataFiles files;

  public ProfileStore(Ignite ignite, MetadataFiles files) {
    this.profiles = ignite.cache(Caches.PROFILES);
    this.files = files;
  }

  public void restore() {
    for (BootProfile p : files.loadAll("profiles", BootProfile.parser())) profiles.putIfAbsent(p.getImageId(), p.toByteArray());
  }

  /** The image's profile; an empty one (no boots) if none was recorded. */
  public BootProfile get(String imageId, int blockSize) {
    byte[] bytes = profiles.get(imageId);
    return bytes == null ? BootProfile.newBuilder().setImageId(imageId).setBlockSize(blockSize).build() : parse(bytes);
  }

  /** Folds one boot (the blocks it read, and when first) into the image's profile. */
  public BootProfile merge(String imageId, int blockSize, FirstTouches boot) {
    while (true) {
      byte[] old = profiles.get(imageId);
      BootProfile merged = merged(old == null ? get(imageId, blockSize) : parse(old), boot);
      boolean swapped = old == null ? profiles.putIfAbsent(imageId, merged.toByteArray())
          : profiles.replace(imageId, old, merged.toByteArray());
      if (swapped) {
        files.save("profiles", imageId, merged);
        return merged;
      }
    }
  }

  /**
   * The profile with one more boot: each block's earliest first touch and how many boots read it,
   * ordered by first touch then block, at most {@link #MAX_BLOCKS} (the earliest). Primitive arrays
   * throughout, so a profile of a million blocks costs tens of MiB while it merges.
   */
  static BootProfile merged(BootProfile profile, FirstTouches boot) {
    int capacity = profile.getBlocksCount() + boot.size();
    long[] blocks = new long[capacity];
    int[] first = new int[capacity];
    int[] count = new int[capacity];
    boolean[] known = new boolean[boot.size()]; // boot blocks the profile has already
    int n = 0;
    for (int i = 0; i < profile.getBlocksCount(); i++) {
      blocks[n] = profile.getBlocks(i);
      first[n] = profile.getFirstTouchMs(i);
      count[n] = profile.getCount(i);
      int j = boot.indexOf(blocks[n]);
      if (j >= 0) {
        known[j] = true;
        first[n] = Math.min(first[n], boot.firstTouchMs(j));
        count[n]++;
      }
      n++;
    }
    for (int j = 0; j < boot.size(); j++) {
      if (known[j]) continue;
      blocks[n] = boot.block(j);
      first[n] = boot.firstTouchMs(j);
      count[n++] = 1;
    }
    Integer[] byTouch = new Integer[n];
    for (int i = 0; i < n; i++) byTouch[i] = i;
    Arrays.sort(byTouch, (a, b) -> first[a] != first[b] ? Integer.compare(first[a], first[b])
        : Long.compare(blocks[a], blocks[b]));
    BootProfile.Builder out = profile.toBuilder().clearBlocks().clearFirstTouchMs().clearCount()
        .setBoots(profile.getBoots() + 1);
    for (int k = 0; k < Math.min(n, MAX_BLOCKS); k++) {
      int i = byTouch[k];
      out.addBlocks(blocks[i]).addFirstTouchMs(first[i]).addCount(count[i]);
    }
    return out.build();
  }

  private static BootProfile parse(byte[] bytes) {
    try {
      return BootProfile.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt boot profile", e);
    }
  }
}
