package io.bootcache.node.catalog;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.bootcache.backends.ImageSources;
import io.bootcache.node.ApiError;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.Regions;
import io.bootcache.node.read.BlockMaps;
import io.bootcache.v1.BlockManifestChunk;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import javax.cache.Cache;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;

/**
 * Images and disks: registration, validation, look-up. Both live in replicated caches, so every
 * node reads them locally, and in the data directory, so that a restarted cluster knows them.
 */
public final class Catalog {
  public static final int DEFAULT_BLOCK_SIZE = 4096;
  /** A stale reason is kept to this many characters: it is for a person to read, and lives in the metadata region. */
  public static final int MAX_REASON_CHARS = 1024;

  private final IgniteCache<String, byte[]> images;
  private final IgniteCache<String, byte[]> disks;
  private final IgniteCache<String, TargetKind> names;
  private final MetadataFiles files;
  private final BlockMaps maps;
  private final FileRoots roots;
  private final BlockManifests manifests;
  private final ContentPins pins = new ContentPins();
  private final int maxImages;
  private final int maxDisks;
  /** Images never change once registered, so every node keeps the parsed ones. */
  private final Map<String, Image> imageMemo = new ConcurrentHashMap<>();
  /** Disk layer id -> the partitions this node has recorded as written (a subset of the disk's own record). */
  private final Map<String, BitSet> writtenHere = new ConcurrentHashMap<>();

  public Catalog(Ignite ignite, MetadataFiles files, BlockMaps maps, FileRoots roots, BlockManifests manifests,
      int maxImages, int maxDisks) {
    this.maps = maps;
    this.manifests = manifests;
    this.roots = roots;
    this.maxImages = maxImages;
    this.maxDisks = maxDisks;
    this.images = ignite.cache(Caches.IMAGES);
    this.disks = ignite.cache(Caches.DISKS);
    this.names = ignite.cache(Caches.NAMES);
    this.files = files;
  }

  /** Puts back what the data directory knows and the cluster does not (a restarted cluster). */
  public void restore() {
    for (Image image : files.loadAll("images", Image.parser())) {
      if (!restoredName(image.getId(), TargetKind.IMAGE)) continue;
      images.putIfAbsent(image.getId(), image.toByteArray());
    }
    for (Disk disk : files.loadAll("disks", Disk.parser())) {
      if (!restoredName(disk.getId(), TargetKind.DISK)) continue;
      // a restart without a disk cache loses the disk's layer (the writes it recorded): until it is
      // resynced, its reads must not fall through to the image; the layer's marker says whether it was kept
      Disk restored = disk.getState() == DiskState.STALE || maps.layerKept(diskLayer(disk)) ? disk : disk.toBuilder()
          .setState(DiskState.STALE)
          .setStaleReason("the cluster restarted and lost the disk's layer; resync it").build();
      if (disks.putIfAbsent(disk.getId(), restored.toByteArray())) files.save("disks", disk.getId(), restored);
    }
  }

  /** Claims a restored record's id; false (and a warning) when the other kind holds it already. */
  private boolean restoredName(String id, TargetKind kind) {
    TargetKind holder = names.getAndPutIfAbsent(id, kind);
    if (holder == null || holder == kind) return true;
    System.err.println("bootcache: not restoring " + kind.word() + " " + id + " from the data directory: "
        + holder.word() + " " + id + " holds that id");
    return false;
  }

  /**
   * Claims the id for this kind of target, or throws ALREADY_EXISTS naming the other kind that holds
   * it. Images and disks share one namespace: NBD exports both by id, so a disk must never be
   * served under an image's name, or the other way round.
   */
  private void claim(String id, TargetKind kind) {
    TargetKind holder = names.getAndPutIfAbsent(id, kind);
    if (holder != null && holder != kind) {
      throw ApiError.alreadyExists("the id " + id + " is taken by " + holder.word() + " " + id
          + ": images and disks share one namespace (NBD exports them by id); pick another id for this " + kind.word());
    }
  }

  /** Registers an image without pinned blocks (nothing read at registration). */
  public Image registerImage(String id, String location, int blockSize) {
    return registerImage(id, location, blockSize, false);
  }

  /**
   * Registers an image, or answers the one registered under the id if it is the same. With
   * {@code pinBlocks} the node reads it whole once, for its block manifest.
   */
  public Image registerImage(String id, String location, int blockSize, boolean pinBlocks) {
    Ids.check("image", id);
    int bs = blockSize == 0 ? DEFAULT_BLOCK_SIZE : blockSize;
    if (bs < 512 || bs > Regions.MAX_BLOCK_SIZE || Integer.bitCount(bs) != 1) {
      throw ApiError.invalid("block size " + blockSize + " is not a power of two from 512 to " + Regions.MAX_BLOCK_SIZE);
    }
    refuseOverCap(images, id, maxImages, "images", "--max-images");
    Image.Builder builder = Image.newBuilder().setId(id).setBlockSize(bs).setRegisteredAtMs(System.currentTimeMillis());
    Image image;
    if (location != null && !ImageSources.isFile(location)) {
      RemoteImages.describe("image " + id, location, builder);
      image = builder.build();
    } else {
      Path path = roots.image("image " + id, location);
      FileRoots.requireDistinct("image " + id, path, diskFiles(""));
      image = ContentPins.pin(builder.setLocation(path.toString()).setSize(sizeOf(path)).build(), path);
    }
    if (pinBlocks && !images.containsKey(id)) image = withManifest(image);
    claim(id, TargetKind.IMAGE);
    byte[] existing = images.getAndPutIfAbsent(id, image.toByteArray());
    if (existing != null) {
      Image old = parseImage(existing);
      if (!old.getLocation().equals(image.getLocation()) || old.getBlockSize() != bs || old.getSize() != image.getSize()) {
        throw ApiError.alreadyExists("image " + id + " is registered already, at " + old.getLocation() + " with "
            + old.getSize() + " bytes in blocks of " + old.getBlockSize() + "; images are immutable: use a new id");
      }
      if (!ContentPins.samePin(old, image)) {
        throw ApiError.alreadyExists("image " + id + " is registered already, and " + old.getLocation()
            + " changed since; images are immutable: register the new content under a new id");
      }
      if (pinBlocks && old.getBlockManifestDigest().isEmpty()) {
        throw ApiError.alreadyExists("image " + id + " is registered already, without pinned blocks; "
            + "register it under a new id to pin them");
      }
      return old;
    }
    files.save("images", id, image);
    return image;
  }

  /**
   * A new image with its block manifest: read whole once. A file is pinned before the read and again
   * after it, so that a file that changed meanwhile is refused rather than pinned with a mixed manifest.
   */
  private Image withManifest(Image image) {
    Image taken = manifests.take(image);
    if (ImageSources.isFile(image.getLocation())) {
      Path path = Path.of(image.getLocation());
      if (sizeOf(path) != image.getSize() || !ContentPins.samePin(image, ContentPins.pin(image, path))) {
        throw ApiError.failedPrecondition("image " + image.getId() + ": " + path + " changed while it was read for "
            + "its block manifest; register it again once it stays put");
      }
    }
    return taken;
  }

  /** Puts back the block manifests the data directory holds and the cluster does not (at every start). */
  public void restoreManifests() {
    manifests.restore();
  }

  /** The image if this node has it parsed already, else null; never asks the cluster. */
  public Image knownImage(String id) {
    return imageMemo.get(id);
  }

  public Image image(String id) {
    Image memo = imageMemo.get(id);
    if (memo != null) return memo;
    Ids.check("image", id);
    byte[] bytes = images.get(id);
    if (bytes == null) throw ApiError.notFound("no image " + id + " is registered");
    Image image = parseImage(bytes);
    imageMemo.put(id, image);
    return image;
  }

  /** The chunk of the image's block manifest from {@code firstBlock} on. */
  public BlockManifestChunk manifestChunk(String imageId, long firstBlock) {
    return manifests.chunk(image(imageId), firstBlock);
  }

  public List<Image> images() {
    List<Image> out = new ArrayList<>();
    for (Cache.Entry<String, byte[]> e : images) out.add(parseImage(e.getValue()));
    out.sort(Comparator.comparing(Image::getId));
    return out;
  }

  public Disk registerDisk(String id, String imageId, CloneMode mode, String location) {
    Ids.check("disk", id);
    Image image = image(imageId);
    if (mode != CloneMode.LINKED && mode != CloneMode.FULL) {
      throw ApiError.invalid("disk " + id + ": clone mode must be LINKED or FULL");
    }
    Disk.Builder disk = Disk.newBuilder()
        .setId(id)
        .setImageId(imageId)
        .setMode(mode)
        .setSize(image.getSize())
        .setBlockSize(image.getBlockSize())
        .setGeneration(1)
        .setState(DiskState.ACTIVE);
    if (mode == CloneMode.FULL) {
      if (location.isEmpty()) throw ApiError.invalid("full clone " + id + " needs its own backing file (location)");
      Path path = roots.disk("disk " + id, location);
      Map<String, String> others = diskFiles(id);
      for (Image i : images()) others.put("image " + i.getId(), i.getLocation());
      FileRoots.requireDistinct("full clone " + id, path, others);
      long size = sizeOf(path);
      if (size != image.getSize()) {
        throw ApiError.invalid("full clone " + id + ": " + path + " has " + size + " bytes, its image " + imageId
            + " has " + image.getSize());
      }
      if (!Files.isWritable(path)) throw ApiError.invalid("full clone " + id + ": " + path + " is not writable");
      disk.setLocation(path.toString());
    } else if (!location.isEmpty()) {
      throw ApiError.invalid("linked clone " + id + " has no backing file of its own; leave location empty");
    }
    Disk fresh = disk.build();
    refuseOverCap(disks, id, maxDisks, "disks", "--max-disks");
    claim(id, TargetKind.DISK);
    maps.markLayer(diskLayer(fresh));
    byte[] existing = disks.getAndPutIfAbsent(id, fresh.toByteArray());
    if (existing != null) {
      Disk old = parseDisk(existing);
      if (!old.getImageId().equals(imageId) || old.getMode() != mode || !old.getLocation().equals(fresh.getLocation())) {
        throw ApiError.alreadyExists("disk " + id + " is registered already, over image " + old.getImageId()
            + " as a " + old.getMode() + " clone");
      }
      return old;
    }
    files.save("disks", id, fresh);
    return fresh;
  }

  public Disk disk(String id) {
    Ids.check("disk", id);
    byte[] bytes = disks.get(id);
    if (bytes == null) throw ApiError.notFound("no disk " + id + " is registered");
    return parseDisk(bytes);
  }

  public List<Disk> disks() {
    List<Disk> out = new ArrayList<>();
    for (Cache.Entry<String, byte[]> e : disks) out.add(parseDisk(e.getValue()));
    out.sort(Comparator.comparing(Disk::getId));
    return out;
  }

  /**
   * A new id past the cap is refused with RESOURCE_EXHAUSTED before the metadata region fills; one
   * registered already may be registered again. Two registrations at once may pass the cap by one.
   */
  private static void refuseOverCap(IgniteCache<String, byte[]> records, String id, int cap, String what, String flag) {
    if (records.size() >= cap && !records.containsKey(id)) {
      throw ApiError.exhausted(cap + " " + what + " are registered, the most this cluster keeps (" + flag
          + "): remove some or start the nodes with a higher " + flag);
    }
  }

  /** Marks a disk stale: its layer may lack a write, so its reads must not come from the cache. */
  public Disk markStale(String id, String givenReason) {
    String reason = givenReason.length() > MAX_REASON_CHARS
        ? givenReason.substring(0, MAX_REASON_CHARS - 1) + "…" : givenReason;
    return updateDisk(id, d -> {
      Disk.Builder next = d.toBuilder().setState(DiskState.STALE).setStaleMarks(d.getStaleMarks() + 1);
      // the first reason stays: it says when the layer stopped being whole
      if (d.getState() != DiskState.STALE) next.setStaleReason(reason.isEmpty() ? "marked stale" : reason);
      return next.build();
    });
  }

  /**
   * Records that the disk's current layer holds blocks in these disk-layer partitions; called before
   * the blocks are put, so that a loss of any of them finds the disk. Cheap once known: this node
   * remembers what it recorded.
   */
  public void noteWritten(Disk disk, BitSet partitions) {
    BitSet known = writtenHere.computeIfAbsent(diskLayer(disk), l -> writtenPartitions(disk));
    BitSet missing = (BitSet) partitions.clone();
    synchronized (known) {
      missing.andNot(known);
    }
    if (missing.isEmpty()) return;
    updateDisk(disk.getId(), d -> {
      if (d.getGeneration() != disk.getGeneration()) return d; // a resync started another layer meanwhile
      BitSet bits = writtenPartitions(d);
      bits.or(partitions);
      return d.toBuilder().setWrittenPartitions(ByteString.copyFrom(bits.toByteArray())).build();
    });
    synchronized (known) {
      known.or(partitions);
    }
  }

  /** The disk-layer partitions in which the disk's current layer has blocks. */
  public static BitSet writtenPartitions(Disk disk) {
    return BitSet.valueOf(disk.getWrittenPartitions().asReadOnlyByteBuffer());
  }

  /**
   * Makes the disk's next generation active, if the disk is still exactly {@code seen}: a stale mark,
   * a resync or a reset since then wins, and this one fails with UNAVAILABLE (run it again).
   */
  public Disk newGeneration(Disk seen) {
    Disk next = seen.toBuilder().setGeneration(seen.getGeneration() + 1).setState(DiskState.ACTIVE).clearStaleReason()
        .clearWrittenPartitions().build();
    maps.markLayer(diskLayer(next));
    if (!disks.replace(seen.getId(), seen.toByteArray(), next.toByteArray())) {
      throw ApiError.unavailable("disk " + seen.getId() + " changed while its layer was rebuilt (a write was marked "
          + "lost, or another resync ran): run it again");
    }
    files.save("disks", seen.getId(), next);
    return next;
  }

  private Disk updateDisk(String id, UnaryOperator<Disk> change) {
    while (true) {
      byte[] old = disks.get(Ids.check("disk", id));
      if (old == null) throw ApiError.notFound("no disk " + id + " is registered");
      Disk next = change.apply(parseDisk(old));
      if (disks.replace(id, old, next.toByteArray())) {
        files.save("disks", id, next);
        return next;
      }
    }
  }

  /**
   * The file a disk's layer is rebuilt from: {@code source}, or a full clone's own file when it is
   * empty. A linked clone has no file of its own, so it must be given one. The file must hold the
   * whole disk: a regular, readable file of the disk's size.
   */
  public Path resyncSource(Disk disk, String source) {
    if (source.isEmpty()) {
      if (disk.getMode() != CloneMode.FULL) {
        throw ApiError.failedPrecondition("disk " + disk.getId() + " is a linked clone: its writes live in the "
            + "hypervisor's overlay, out of the cluster's reach; give a raw file of the disk's content to resync from "
            + "(e.g. qemu-img convert -O raw vm.qcow2 vm.raw), or reset the disk to discard its writes");
      }
      source = disk.getLocation();
    }
    Path path = roots.readable("resync source of disk " + disk.getId(), source);
    long size = sizeOf(path);
    if (size != disk.getSize()) {
      throw ApiError.invalid("resync source " + path + " has " + size + " bytes, disk " + disk.getId() + " has "
          + disk.getSize());
    }
    return path;
  }

  /** The layer id of an image, or of a disk's current generation. */
  public static String imageLayer(String imageId) {
    return "i:" + imageId;
  }

  public static String diskLayer(Disk disk) {
    return "d:" + disk.getId() + "@" + disk.getGeneration();
  }

  /**
   * Throws FAILED_PRECONDITION when the image's file no longer holds the content it was registered
   * with; called after every backend read of it, before the bytes are answered or cached.
   */
  public void checkContent(Image image) {
    pins.check(image);
  }

  /** "disk ID" to its file, for every full clone but {@code except}. */
  private Map<String, String> diskFiles(String except) {
    Map<String, String> out = new HashMap<>();
    for (Disk d : disks()) {
      if (!d.getLocation().isEmpty() && !d.getId().equals(except)) out.put("disk " + d.getId(), d.getLocation());
    }
    return out;
  }

  private static long sizeOf(Path path) {
    try {
      long size = Files.size(path);
      if (size == 0) throw ApiError.invalid(path + " is empty");
      return size;
    } catch (IOException e) {
      throw ApiError.invalid("cannot read the size of " + path + ": " + e.getMessage());
    }
  }

  private static Image parseImage(byte[] bytes) {
    try {
      return Image.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt image record", e);
    }
  }

  private static Disk parseDisk(byte[] bytes) {
    try {
      return Disk.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt disk record", e);
    }
  }
}
