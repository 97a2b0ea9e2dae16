package io.bootcache.node.record;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeMetrics;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.LayerBlock;
import io.bootcache.node.cluster.Regions;
import io.bootcache.node.cluster.SequencedPut;
import io.bootcache.node.read.Block;
import io.bootcache.node.read.BlockMaps;
import io.bootcache.node.read.BlockReader;
import io.bootcache.node.read.BlockStore;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadResult;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.Image;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.ignite.Ignite;

/**
 * Applies a recorded write to the disk's own layer, so that this disk, and no other, reads it
 * back. A write that covers part of a block is merged into the block as the disk sees it now.
 */
public final class WriteApplier {
  /** Blocks put into the cluster at once (a megabyte of 4 KiB blocks). */
  static final int PUT_BLOCKS = 256;
  /**
   * Merges of a partly covered block tried while concurrent writes keep changing it. Each failed
   * attempt means another write got in, so this bounds only a pathological storm of writes into one block.
   */
  static final int MERGE_ATTEMPTS = 64;
  private static final int MERGE_STRIPES = 64;

  private final Ignite ignite;
  private final Catalog catalog;
  private final BlockMaps maps;
  private final BlockStore store;
  private final BlockReader reader;
  private final NodeMetrics metrics;
  /** The cap of the in-memory region that holds disk layers; 0 when they are durable (pages go to disk). */
  private final long metaRegionBytes;
  private final Lock[] merges = new Lock[MERGE_STRIPES];
  /** Sequence numbers of the writes this node takes itself (its NBD): microseconds since the epoch, rising. */
  private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis() * 1000);

  public WriteApplier(Ignite ignite, Catalog catalog, BlockMaps maps, BlockStore store, BlockReader reader,
      NodeMetrics metrics, long metaRegionBytes) {
    this.ignite = ignite;
    this.catalog = catalog;
    this.maps = maps;
    this.store = store;
    this.reader = reader;
    this.metrics = metrics;
    this.metaRegionBytes = metaRegionBytes;
    for (int i = 0; i < MERGE_STRIPES; i++) merges[i] = new ReentrantLock();
  }

  /** The next sequence number for a write this node acknowledges itself. */
  public long nextSeq() {
    return sequence.incrementAndGet();
  }

  /**
   * Applies one write of the disk, whose sequence number is {@code seq} (0: unsequenced). A block the
   * write covers in part is merged into the block as the disk holds it, and merged again if another
   * write changed the block meanwhile. A write that reaches a block after a later write did cannot
   * go under it: the disk goes stale instead, so its reads come from its own file (a full clone) or
   * are refused (a linked clone) until resynced.
   */
  public void apply(Disk disk, Image image, long offset, byte[] data, long seq) {
    if (data.length == 0) throw ApiError.invalid("write to disk " + disk.getId() + " at " + offset + " carries no data");
    if (offset < 0 || offset + data.length > disk.getSize() || offset + data.length < 0) {
      throw ApiError.outOfRange("write of " + data.length + " bytes at " + offset + " is past the end of disk "
          + disk.getId() + " (" + disk.getSize() + " bytes)");
    }
    if (disk.getState() == DiskState.STALE) return; // its reads bypass the layer until resync
    if (metaFull()) {
      catalog.markStale(disk.getId(), "the cluster's layer memory is full; writes are no longer recorded");
      throw ApiError.exhausted("the cluster's layer memory is full: disk " + disk.getId() + " is now stale");
    }
    Write write = new Write(disk, image, offset, data, seq);
    long first = offset / image.getBlockSize();
    long last = (offset + data.length - 1) / image.getBlockSize();
    // writes merging into the same block on this node take turns, so that they do not merge again and again
    Lock firstMerge = merges[mergeStripe(disk, first)];
    Lock lastMerge = merges[mergeStripe(disk, last)];
    Lock[] held = firstMerge == lastMerge ? new Lock[] {firstMerge}
        : mergeStripe(disk, first) < mergeStripe(disk, last) ? new Lock[] {firstMerge, lastMerge} : new Lock[] {lastMerge, firstMerge};
    for (Lock l : held) l.lock();
    try {
      // a long write goes in as several puts: one put fills a region by at most its size between evictions
      for (long b = first; b <= last; b++) {
        write.stage(b);
        if (write.staged() == PUT_BLOCKS || b == last) {
          if (!write.put()) return;
        }
      }
    } catch (RuntimeException e) {
      // the cache refuses lost partitions: the write cannot be kept whole, so the disk must say so
      if (!maps.diskLayersLost()) throw e;
      catalog.markStale(disk.getId(), "write " + seq + " could not be recorded: part of the cluster's disk layers "
          + "was lost with the nodes that held it");
      return;
    } finally {
      for (Lock l : held) l.unlock();
    }
    metrics.recordedWrites.inc();
  }

  private static int mergeStripe(Disk disk, long block) {
    return Math.floorMod(Objects.hash(disk.getId(), block), MERGE_STRIPES);
  }

  /** One write's blocks on their way into the disk's layer, a batch at a time. */
  private final class Write {
    private final Disk disk;
    private final Image image;
    private final String layerId;
    private final long offset;
    private final byte[] data;
    private final long seq;
    private final Map<BlockHash, byte[]> bytes = new HashMap<>();
    private final Map<Long, LayerBlock> layer = new HashMap<>();
    private final Map<Long, byte[]> baseHashes = new HashMap<>();

    Write(Disk disk, Image image, long offset, byte[] data, long seq) {
      this.disk = disk;
      this.image = image;
      this.layerId = Catalog.diskLayer(disk);
      this.offset = offset;
      this.data = data;
      this.seq = seq;
    }

    int staged() {
      return layer.size();
    }

    /** Builds block {@code b} as it reads after this write. */
    void stage(long b) {
      long blockStart = b * image.getBlockSize();
      int length = (int) Math.min(image.getBlockSize(), disk.getSize() - blockStart);
      boolean whole = offset <= blockStart && offset + data.length >= blockStart + length;
      byte[] block;
      if (whole) {
        block = new byte[length];
      } else {
        ReadResult r = reader.readNow(new ReadRequest(image, disk, blockStart, length, ReadRequest.Admission.NONE));
        try {
          Block base = r.blocks()[0];
          block = base.copy();
          // the put checks the hash the layer held when read, not the bytes': a full clone's block evicted
          // from the cluster is read from its own file, which may already hold this write and later ones
          baseHashes.put(b, base.hash().toBytes());
        } finally {
          r.release();
        }
      }
      int from = (int) Math.max(0, offset - blockStart);
      int srcFrom = (int) Math.max(0, blockStart - offset);
      System.arraycopy(data, srcFrom, block, from, Math.min(block.length - from, data.length - srcFrom));
      BlockHash hash = BlockHash.of(block);
      bytes.put(hash, block);
      // a linked clone's written bytes exist nowhere else the cluster can read: keep them in the layer
      layer.put(b, new LayerBlock(hash.toBytes(), disk.getMode() == CloneMode.LINKED ? block : null, seq));
    }

    /** Puts the staged blocks; false when the disk went stale instead. */
    boolean put() {
      for (int attempt = 1; ; attempt++) {
        store.putAll(bytes);
        catalog.noteWritten(disk, maps.diskPartitions(layerId, layer.keySet()));
        Map<Long, SequencedPut.Outcome> refused = maps.putDiskBlocksInOrder(layerId, layer, baseHashes);
        bytes.clear();
        layer.clear();
        baseHashes.clear();
        if (refused.isEmpty()) return true;
        if (refused.containsValue(SequencedPut.Outcome.OVERTAKEN)) {
          catalog.markStale(disk.getId(), "write " + seq + " reached blocks " + refused.keySet()
              + " after a later write: it cannot go under it");
          return false;
        }
        if (attempt == MERGE_ATTEMPTS) {
          catalog.markStale(disk.getId(), "write " + seq + " could not be merged into blocks " + refused.keySet()
              + ": they kept changing under it");
          return false;
        }
        // another node's writer took the block: let it finish its run before merging again
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(Math.min(attempt, 10) * 100_000L));
        for (long b : refused.keySet()) stage(b);
      }
    }
  }

  private boolean metaFull() {
    return metaRegionBytes != 0 && Regions.metaUsedBytes(ignite) > Regions.META_FULL * metaRegionBytes;
  }
}
