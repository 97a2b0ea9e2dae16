package io.bootcache.node.record;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeMetrics;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.LayerBlock;
import io.bootcache.node.cluster.Regions;
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
import org.apache.ignite.DataRegionMetrics;
import org.apache.ignite.Ignite;

/**
 * Applies a recorded write to the disk's own layer, so that this disk, and no other, reads it
 * back. A write that covers part of a block is merged into the block as the disk sees it now.
 */
public final class WriteApplier {
  /** Past this fill of the never-evicted meta region, writes are refused and the disk goes stale. */
  static final double META_FULL = 0.85;
  /** Blocks put into the cluster at once (a megabyte of 4 KiB blocks). */
  static final int PUT_BLOCKS = 256;

  private final Ignite ignite;
  private final Catalog catalog;
  private final BlockMaps maps;
  private final BlockStore store;
  private final BlockReader reader;
  private final NodeMetrics metrics;
  private final long metaRegionBytes;

  public WriteApplier(Ignite ignite, Catalog catalog, BlockMaps maps, BlockStore store, BlockReader reader,
      NodeMetrics metrics, long metaRegionBytes) {
    this.ignite = ignite;
    this.catalog = catalog;
    this.maps = maps;
    this.store = store;
    this.reader = reader;
    this.metrics = metrics;
    this.metaRegionBytes = metaRegionBytes;
  }

  public void apply(Disk disk, Image image, long offset, byte[] data) {
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
    int bs = image.getBlockSize();
    long first = offset / bs;
    long last = (offset + data.length - 1) / bs;
    Map<Long, byte[]> blocks = baseBlocks(disk, image, offset, data.length, first, last);
    Map<BlockHash, byte[]> bytes = new HashMap<>();
    Map<Long, LayerBlock> layer = new HashMap<>();
    String layerId = Catalog.diskLayer(disk);
    for (long b = first; b <= last; b++) {
      long blockStart = b * bs;
      byte[] block = blocks.get(b);
      if (block == null) block = new byte[(int) Math.min(bs, disk.getSize() - blockStart)];
      int from = (int) Math.max(0, offset - blockStart);
      int srcFrom = (int) Math.max(0, blockStart - offset);
      int n = (int) Math.min(block.length - from, data.length - srcFrom);
      System.arraycopy(data, srcFrom, block, from, n);
      BlockHash hash = BlockHash.of(block);
      bytes.put(hash, block);
      // a linked clone's written bytes exist nowhere else the cluster can read: keep them in the layer
      layer.put(b, new LayerBlock(hash.toBytes(), disk.getMode() == CloneMode.LINKED ? block : null));
      // a long write goes in as several puts: one put fills a region by at most its size between evictions
      if (layer.size() == PUT_BLOCKS || b == last) {
        store.putAll(bytes);
        maps.putDiskBlocks(layerId, layer);
        bytes.clear();
        layer.clear();
      }
    }
    metrics.recordedWrites.inc();
  }

  /** The current content of the first and last block where the write covers them only in part. */
  private Map<Long, byte[]> baseBlocks(Disk disk, Image image, long offset, int length, long first, long last) {
    int bs = image.getBlockSize();
    Map<Long, byte[]> out = new HashMap<>();
    for (long b : new long[] {first, last}) {
      long blockStart = b * bs;
      long blockEnd = Math.min(blockStart + bs, disk.getSize());
      boolean covered = offset <= blockStart && offset + length >= blockEnd;
      if (covered || out.containsKey(b)) continue;
      ReadResult r = reader.readNow(new ReadRequest(image, disk, blockStart, blockEnd - blockStart, ReadRequest.Admission.NONE));
      try {
        out.put(b, r.blocks()[0].copy());
      } finally {
        r.release();
      }
    }
    return out;
  }

  private boolean metaFull() {
    DataRegionMetrics m = ignite.dataRegionMetrics(Regions.META);
    if (m == null) return false;
    long used = m.getTotalUsedPages() * (long) Regions.PAGE_SIZE;
    return used > META_FULL * metaRegionBytes;
  }
}
