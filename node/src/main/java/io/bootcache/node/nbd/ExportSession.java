package io.bootcache.node.nbd;

import io.bootcache.nbd.ExportConnection;
import io.bootcache.nbd.FileIo;
import io.bootcache.nbd.Nbd;
import io.bootcache.nbd.NbdError;
import io.bootcache.node.ApiError;
import io.bootcache.node.NodeServices;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadRequest.Admission;
import io.bootcache.node.read.ReadResult;
import io.bootcache.node.record.NodeBoot;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * One NBD connection to an export of this node: one boot. An image read that this host's tier holds
 * is answered on the network thread from the tier's memory; any other goes through the node's read
 * path. A full clone's write goes into its own file and into its layer before it is acknowledged; if
 * the layer cannot take it, the disk is marked stale (its reads then come from its file), and if that
 * fails too, the write fails.
 */
final class ExportSession implements ExportConnection {
  private static final Logger LOG = Logger.getLogger(ExportSession.class.getName());
  /** The largest piece of zeroes written to the layer at once. */
  private static final int ZERO_CHUNK = 1 << 20;

  private final NodeServices node;
  private final Image image;
  private final String diskId; // null for an image
  private final NodeBoot boot;
  private final FileChannel file; // a full clone's own file, else null
  private final Consumer<ExportSession> onClose;

  ExportSession(NodeServices node, TargetExport export, NodeBoot boot, Consumer<ExportSession> onClose) {
    this.node = node;
    this.image = export.image();
    this.diskId = export.disk() == null ? null : export.disk().getId();
    this.boot = boot;
    this.onClose = onClose;
    this.file = export.writable() ? open(export.disk()) : null;
  }

  private static FileChannel open(Disk disk) {
    try {
      return FileChannel.open(Path.of(disk.getLocation()), StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open full clone " + disk.getId() + "'s file " + disk.getLocation(), e);
    }
  }

  NodeBoot boot() {
    return boot;
  }

  @Override
  public CompletableFuture<ByteBuf> read(long offset, int length) {
    long started = System.nanoTime();
    CompletableFuture<ByteBuf> answer = answer(offset, length);
    answer.whenComplete((b, e) -> node.metrics().nbdReadLatency.observeSince(started));
    return answer;
  }

  private CompletableFuture<ByteBuf> answer(long offset, int length) {
    boot.read(offset, length);
    int bs = image.getBlockSize();
    if (diskId == null) {
      ReadRequest req = new ReadRequest(image, null, offset, length, Admission.of(boot.lasts()));
      ReadResult local = node.reader().readLocal(req);
      if (local != null) return CompletableFuture.completedFuture(LeasedBytes.of(local, offset, length, bs));
      return node.reader().read(req).thenApply(r -> LeasedBytes.of(r, offset, length, bs));
    }
    // a disk's state and layer change (writes, stale marks, resyncs): asked afresh for every read
    return CompletableFuture.supplyAsync(() -> node.catalog().disk(diskId), node.workers())
        .thenCompose(d -> node.reader().read(new ReadRequest(image, d, offset, length, Admission.of(boot.lasts()))))
        .thenApply(r -> LeasedBytes.of(r, offset, length, bs));
  }

  @Override
  public CompletableFuture<Void> write(long offset, byte[] data, boolean fua) {
    boot.wrote();
    return CompletableFuture.runAsync(() -> {
      FileIo.writeFully(file, offset, ByteBuffer.wrap(data));
      if (fua) FileIo.force(file);
      record(offset, data);
    }, node.workers());
  }

  @Override
  public CompletableFuture<Void> writeZeroes(long offset, long length, boolean fua) {
    boot.wrote();
    return CompletableFuture.runAsync(() -> {
      FileIo.writeZeroes(file, offset, length);
      if (fua) FileIo.force(file);
      for (long done = 0; done < length; done += ZERO_CHUNK) {
        record(offset + done, new byte[(int) Math.min(ZERO_CHUNK, length - done)]);
      }
    }, node.workers());
  }

  @Override
  public CompletableFuture<Void> flush() {
    return CompletableFuture.runAsync(() -> FileIo.force(file), node.workers());
  }

  /** A write in the file goes into the disk's layer too, or the disk goes stale; else the write fails. */
  private void record(long offset, byte[] data) {
    Disk disk = node.catalog().disk(diskId);
    try {
      node.writes().apply(disk, image, offset, data, node.writes().nextSeq());
    } catch (RuntimeException e) {
      String why = "a write through node " + node.config().nodeName() + "'s NBD could not be recorded: " + e.getMessage();
      LOG.warning("disk " + diskId + ": " + why);
      try {
        node.catalog().markStale(diskId, why);
      } catch (RuntimeException stale) {
        throw new NbdError(Nbd.EIO, why + "; and the disk could not be marked stale: " + stale.getMessage());
      }
    }
  }

  @Override
  public void close() {
    try {
      boot.end();
    } catch (RuntimeException e) {
      ApiError api = ApiError.in(e);
      LOG.fine("ending the boot of " + (diskId == null ? image.getId() : diskId) + ": " + (api != null ? api.getMessage() : e));
    } finally {
      onClose.accept(this);
      if (file != null) {
        try {
          file.close();
        } catch (IOException ignored) {
          // the writes are in the file already; flush forced them
        }
      }
    }
  }
}
