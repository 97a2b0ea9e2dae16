package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import java.io.Serializable;
import java.nio.ByteBuffer;

/** Blocks an owner node loaded (or found), as sent back to the asking node. */
final class LoadedBlocks implements Serializable {
  private static final long serialVersionUID = 2L;
  private final long[] indexes;
  private final byte[][] data;
  private final byte[][] hashes;

  LoadedBlocks(Block[] blocks) {
    this.indexes = new long[blocks.length];
    this.data = new byte[blocks.length][];
    this.hashes = new byte[blocks.length][];
    for (int i = 0; i < blocks.length; i++) {
      indexes[i] = blocks[i].index();
      data[i] = blocks[i].copy();
      hashes[i] = blocks[i].hash().toBytes();
    }
  }

  Block[] blocks() {
    Block[] out = new Block[indexes.length];
    for (int i = 0; i < out.length; i++) out[i] = new Block(indexes[i], BlockHash.fromBytes(hashes[i]), ByteBuffer.wrap(data[i]));
    return out;
  }
}
