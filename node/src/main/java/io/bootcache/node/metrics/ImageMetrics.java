package io.bootcache.node.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * This node's counters per image. Each image is a label value on /metrics, a series per counter in
 * Prometheus: past {@code maxImages} images, the others are counted together under {@link #OTHER},
 * so that a catalogue of thousands of images cannot swamp the monitoring.
 */
public final class ImageMetrics {
  /** Images tracked by name on one node before the rest are counted together. */
  public static final int DEFAULT_MAX_IMAGES = 100;
  /** The label value of the images past the cap; image ids cannot start with '_'. */
  public static final String OTHER = "_other";

  /** One image's counters on this node. */
  public static final class Counters {
    public final LongAdder boots = new LongAdder();
    public final LongAdder reads = new LongAdder();
    public final LongAdder readBytes = new LongAdder();
    public final LongAdder hits = new LongAdder();
    public final LongAdder misses = new LongAdder();
    public final LongAdder backendReads = new LongAdder();
    public final LongAdder backendBytes = new LongAdder();
    public final LongAdder prefetchUsed = new LongAdder();
    public final LongAdder prefetchUnused = new LongAdder();

    /** Backend bytes per byte served; 0 before anything was served. */
    public double amplification() {
      long served = readBytes.sum();
      return served == 0 ? 0 : (double) backendBytes.sum() / served;
    }
  }

  private final int maxImages;
  private final Map<String, Counters> byImage = new ConcurrentHashMap<>();

  public ImageMetrics(int maxImages) {
    if (maxImages < 0) throw new IllegalArgumentException("maxImages must not be negative, got " + maxImages);
    this.maxImages = maxImages;
  }

  /** The image's counters, or {@link #OTHER}'s once the cap is reached. */
  public Counters of(String imageId) {
    Counters c = byImage.get(imageId);
    if (c != null) return c;
    synchronized (byImage) {
      c = byImage.get(imageId);
      if (c != null) return c;
      String key = byImage.size() - (byImage.containsKey(OTHER) ? 1 : 0) < maxImages ? imageId : OTHER;
      return byImage.computeIfAbsent(key, k -> new Counters());
    }
  }

  /** The images counted so far, by label value in order. */
  public Map<String, Counters> all() {
    return new TreeMap<>(byImage);
  }

  public int maxImages() {
    return maxImages;
  }
}
