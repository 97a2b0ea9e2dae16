package io.bootcache.node.nbd;

import io.bootcache.node.read.Block;
import io.bootcache.node.read.ReadResult;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The asked range of a read's blocks as one buffer for the socket, without copying them: its
 * components are views of the blocks' memory (the host tier's, when they came from it), which the
 * read lends until this buffer is released, once written.
 */
final class LeasedBytes extends CompositeByteBuf {
  private ReadResult lent;

  private LeasedBytes(int components, ReadResult lent) {
    super(ByteBufAllocator.DEFAULT, true, Math.max(2, components));
    this.lent = lent;
  }

  /** The bytes [offset, offset + length) of the read, whose blocks are {@code blockSize} bytes each. */
  static LeasedBytes of(ReadResult r, long offset, int length, int blockSize) {
    Block[] blocks = r.blocks();
    LeasedBytes out = new LeasedBytes(blocks.length, r);
    long end = offset + length;
    for (Block b : blocks) {
      long start = b.index() * blockSize;
      int from = (int) Math.max(0, offset - start);
      int to = (int) Math.min(b.length(), end - start);
      if (to > from) out.addComponent(true, Unpooled.wrappedBuffer(b.bytes().slice(from, to - from)));
    }
    return out;
  }

  @Override
  protected void deallocate() {
    super.deallocate();
    ReadResult r = lent;
    lent = null;
    if (r != null) r.release();
  }
}
