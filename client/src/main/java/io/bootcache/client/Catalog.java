package io.bootcache.client;

import io.bootcache.backends.SourceVersion;
import io.bootcache.client.LocationBackend.Where;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The images and disks this client has heard of from the cluster, plus the locations the
 * application gave it: enough to find where a target's bytes live when the cluster is gone.
 */
final class Catalog {
  private final Map<String, Where> givenLocations;
  private final Map<String, Image> images = new ConcurrentHashMap<>();
  private final Map<String, Disk> disks = new ConcurrentHashMap<>();

  Catalog(Map<String, Where> givenLocations) {
    this.givenLocations = Map.copyOf(givenLocations);
  }

  void put(Image image) { images.put(image.getId(), image); }
  void put(Disk disk) { disks.put(disk.getId(), disk); }
  void putImages(Collection<Image> all) { all.forEach(this::put); }
  void putDisks(Collection<Disk> all) { all.forEach(this::put); }

  Image image(String id) {
    return images.get(id);
  }

  Disk disk(String id) {
    return disks.get(id);
  }

  boolean knows(Target t) {
    return givenLocations.containsKey(t.id()) || (t.isDisk() ? disks.containsKey(t.id()) : images.containsKey(t.id()));
  }

  /**
   * Where the target's true content lives: a given location first; for an image its location (a file,
   * an NBD export or an HTTP(S) object, at the version registered); for a full clone its own file. A
   * linked clone has none: its writes live only in the cluster's layer (the hypervisor's overlay is out
   * of reach), so its image would serve the wrong bytes.
   */
  Optional<Where> location(Target t) {
    Where given = givenLocations.get(t.id());
    if (given != null) return Optional.of(given);
    if (!t.isDisk()) {
      return Optional.ofNullable(images.get(t.id()))
          .map(i -> new Where(i.getLocation(), new SourceVersion(i.getSourceEtag(), i.getSourceLastModified())));
    }
    Disk d = disks.get(t.id());
    if (d == null || d.getMode() != CloneMode.FULL || d.getLocation().isEmpty()) return Optional.empty();
    return Optional.of(new Where(d.getLocation(), SourceVersion.NONE));
  }

  /**
   * The registered image whose content pin the target's file must match: an image read from the file
   * it was registered at (a location given elsewhere is the application's own copy).
   */
  Optional<Image> pinOf(Target t) {
    if (t.isDisk()) return Optional.empty();
    Image image = images.get(t.id());
    if (image == null) return Optional.empty();
    Where given = givenLocations.get(t.id());
    if (given != null && !given.location().equals(image.getLocation())) return Optional.empty();
    return Optional.of(image);
  }

  /** True when the target is a disk whose true bytes no backend holds (a linked clone, or a disk not known yet). */
  boolean hasNoFile(Target t) {
    return t.isDisk() && location(t).isEmpty();
  }
}
