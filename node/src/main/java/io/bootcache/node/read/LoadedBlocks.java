package io.bootcache.node.read;

import java.io.Serializable;

/** Blocks an owner node loaded (or found), with their hashes, as sent back to the asking node. */
public final class LoadedBlocks implements Serializable {
  private static final long serialVersionUID = 1L;
  final long[] indexes;
  final byte[][] data;
  final byte[][] hashes;

  LoadedBlocks(long[] indexes, byte[][] data, byte[][] hashes) {
    this.indexes = indexes;
    this.data = data;
    this.hashes = hashes;
  }
}
