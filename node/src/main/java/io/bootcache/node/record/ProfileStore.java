package io.bootcache.node.record;

import com.google.protobuf.InvalidProtocolBufferException;
import io.bootcache.node.catalog.MetadataFiles;
import io.bootcache.node.cluster.Caches;
import io.bootcache.v1.BootProfile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;

/**
 * Boot profiles: per image, which blocks its boots read, when first (the earliest over boots) and
 * by how many boots; merged as each recorded boot ends, and kept in the data directory too.
 */
public final class ProfileStore {
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

  /** Folds one boot (block index -> first touch, ms into the boot) into the image's profile. */
  public BootProfile merge(String imageId, int blockSize, Map<Long, Integer> boot) {
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

  static BootProfile merged(BootProfile profile, Map<Long, Integer> boot) {
    Map<Long, int[]> blocks = new HashMap<>(); // index -> {first touch, count}
    for (int i = 0; i < profile.getBlocksCount(); i++) {
      blocks.put(profile.getBlocks(i), new int[] {profile.getFirstTouchMs(i), profile.getCount(i)});
    }
    boot.forEach((index, t) -> blocks.merge(index, new int[] {t, 1}, (a, b) -> new int[] {Math.min(a[0], b[0]), a[1] + 1}));
    List<Map.Entry<Long, int[]>> ordered = new ArrayList<>(blocks.entrySet());
    ordered.sort((a, b) -> a.getValue()[0] != b.getValue()[0] ? Integer.compare(a.getValue()[0], b.getValue()[0])
        : Long.compare(a.getKey(), b.getKey()));
    BootProfile.Builder out = profile.toBuilder().clearBlocks().clearFirstTouchMs().clearCount()
        .setBoots(profile.getBoots() + 1);
    for (Map.Entry<Long, int[]> e : ordered) {
      out.addBlocks(e.getKey()).addFirstTouchMs(e.getValue()[0]).addCount(e.getValue()[1]);
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
