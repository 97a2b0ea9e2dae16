package io.bootcache.node.nbd;

import io.bootcache.nbd.ExportConnection;
import io.bootcache.nbd.NbdExport;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;

/**
 * An image or a disk of the cluster, exported by its id: an image and a linked clone read-only, a
 * full clone read-write (into its own file, and recorded into its layer). Each connection is one
 * boot of it, served by this node's own read path.
 */
final class TargetExport implements NbdExport {
  private final NodeExports exports;
  private final Image image;
  private final Disk disk; // null for an image

  TargetExport(NodeExports exports, Image image, Disk disk) {
    this.exports = exports;
    this.image = image;
    this.disk = disk;
  }

  Image image() { return image; }
  Disk disk() { return disk; }

  @Override
  public String name() {
    return disk == null ? image.getId() : disk.getId();
  }

  @Override
  public long size() {
    return image.getSize();
  }

  @Override
  public int blockSize() {
    return image.getBlockSize();
  }

  @Override
  public boolean writable() {
    return disk != null && disk.getMode() == CloneMode.FULL;
  }

  @Override
  public String description() {
    String what = disk == null ? "image (read-only)"
        : writable() ? "full-clone disk (read-write, file " + disk.getLocation() + ")" : "linked-clone disk (read-only)";
    return what + ", " + size() + " bytes";
  }

  @Override
  public ExportConnection connect(String peer) {
    return exports.open(this, peer);
  }
}
