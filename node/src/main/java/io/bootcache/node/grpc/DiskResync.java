package io.bootcache.node.grpc;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeServices;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.LayerBlock;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Rebuilds a disk's layer from a file holding its whole content (a full clone's own file, or a
 * raw copy of a linked clone's disk made from the hypervisor's overlay): every block that differs
 * from the image goes into a fresh generation of the layer, which then replaces the old one. Run
 * it while the disk is not in use.
 */
final class DiskResync {
  private static final int CHUNK_BLOCKS = 256;
  private final NodeServices node;

  DiskResync(NodeServices node) {
    this.node = node;
  }

  Disk resync(String diskId, String source) {
    Disk disk = node.catalog().disk(diskId);
    String from = node.catalog().resyncSource(disk, source).toString();
    Image image = node.catalog().image(disk.getImageId());
    Disk next = disk.toBuilder().setGeneration(disk.getGeneration() + 1).build();
    String layer = Catalog.diskLayer(next);
    int bs = image.getBlockSize();
    long blocks = (image.getSize() + bs - 1) / bs;
    boolean linked = disk.getMode() != CloneMode.FULL;
    for (long first = 0; first < blocks; first += CHUNK_BLOCKS) {
      long start = first * bs;
      int length = (int) Math.min((long) CHUNK_BLOCKS * bs, image.getSize() - start);
      byte[] ours = node.backend().read(from, start, length);
      byte[] base = node.backend().read(image, start, length);
      node.catalog().checkContent(image);
      Map<BlockHash, byte[]> bytes = new HashMap<>();
      Map<Long, LayerBlock> entries = new HashMap<>();
      for (int off = 0; off < length; off += bs) {
        int end = Math.min(off + bs, length);
        if (Arrays.equals(ours, off, end, base, off, end)) continue;
        byte[] block = Arrays.copyOfRange(ours, off, end);
        BlockHash hash = BlockHash.of(block);
        bytes.put(hash, block);
        // a linked clone's layer is the only record of its writes: it keeps their bytes too
        entries.put(first + off / bs, new LayerBlock(hash.toBytes(), linked ? block : null, 0));
      }
      node.store().putAll(bytes);
      node.maps().putDiskBlocks(layer, entries);
    }
    return node.catalog().newGeneration(disk);
  }

  /** A linked clone's writes are declared lost: a fresh, empty generation, active. */
  Disk reset(String diskId) {
    Disk disk = node.catalog().disk(diskId);
    if (disk.getMode() == CloneMode.FULL) {
      throw ApiError.failedPrecondition("disk " + diskId + " is a full clone: its own file holds its writes, so an "
          + "empty layer would hide them; resync it from its file instead");
    }
    return node.catalog().newGeneration(disk);
  }
}
