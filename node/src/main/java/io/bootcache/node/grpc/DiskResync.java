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
 * Rebuilds a full clone's layer from its own file: every block that differs from the image goes
 * into a fresh generation of the layer, which then replaces the old one. Run it while the disk is
 * not in use. A linked clone's writes live in the hypervisor's overlay, out of the cluster's reach.
 */
final class DiskResync {
  private static final int CHUNK_BLOCKS = 256;
  private final NodeServices node;

  DiskResync(NodeServices node) {
    this.node = node;
  }

  Disk resync(String diskId) {
    Disk disk = node.catalog().disk(diskId);
    if (disk.getMode() != CloneMode.FULL) {
      throw ApiError.failedPrecondition("disk " + diskId + " is a linked clone: its writes live in its overlay, which "
          + "the cluster cannot read; register the VM's disk under a new id");
    }
    Image image = node.catalog().image(disk.getImageId());
    Disk next = disk.toBuilder().setGeneration(disk.getGeneration() + 1).build();
    String layer = Catalog.diskLayer(next);
    int bs = image.getBlockSize();
    long blocks = (image.getSize() + bs - 1) / bs;
    for (long first = 0; first < blocks; first += CHUNK_BLOCKS) {
      long start = first * bs;
      int length = (int) Math.min((long) CHUNK_BLOCKS * bs, image.getSize() - start);
      byte[] ours = node.backend().read(disk.getLocation(), start, length);
      byte[] base = node.backend().read(image.getLocation(), start, length);
      Map<BlockHash, byte[]> bytes = new HashMap<>();
      Map<Long, LayerBlock> entries = new HashMap<>();
      for (int off = 0; off < length; off += bs) {
        int end = Math.min(off + bs, length);
        if (Arrays.equals(ours, off, end, base, off, end)) continue;
        byte[] block = Arrays.copyOfRange(ours, off, end);
        BlockHash hash = BlockHash.of(block);
        bytes.put(hash, block);
        entries.put(first + off / bs, new LayerBlock(hash.toBytes(), null));
      }
      node.store().putAll(bytes);
      node.maps().putDiskBlocks(layer, entries);
    }
    Disk active = node.catalog().newGeneration(diskId);
    if (active.getGeneration() != next.getGeneration()) {
      throw ApiError.unavailable("disk " + diskId + " changed during its resync; run it again");
    }
    return active;
  }
}
