package io.bootcache.client.nbd;

import io.bootcache.nbd.ExportConnection;
import io.bootcache.nbd.NbdExport;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Target;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;

/**
 * A read-only export read through the cluster: an image (what linked clones boot from, under a qcow2
 * overlay), or a disk without a file of its own (a linked clone: its image plus its recorded writes).
 * Each connection is a boot session; the client library falls back to the backing file whenever the
 * cluster cannot answer.
 */
final class ClusterExport implements NbdExport {
  private final BootCacheClient client;
  private final BootSessions sessions;
  private final ReadThrottle throttle;
  private final Target target;
  private final long size;
  private final int blockSize;

  ClusterExport(BootCacheClient client, BootSessions sessions, ReadThrottle throttle, Target target, long size,
         int blockSize) {
    this.client = client;
    this.sessions = sessions;
    this.throttle = throttle;
    this.target = target;
    this.size = size;
    this.blockSize = blockSize;
  }

  @Override
  public String name() {
    return target.id();
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public boolean writable() {
    return false;
  }

  @Override
  public String description() {
    return (target.isDisk() ? "linked-clone disk (read-only)" : "image (read-only)") + ", " + size + " bytes";
  }

  Target target() {
    return target;
  }

  @Override
  public ExportConnection connect(String peer) {
    BootRecording recording = sessions.start(target, peer);
    return new ExportConnection() {
      @Override
      public CompletableFuture<ByteBuf> read(long offset, int length) {
        return recording.beforeRead(offset, length)
            .thenCompose(session -> throttle.submit(length,
                () -> client.read(target, offset, length, session)))
            .thenApply(Unpooled::wrappedBuffer);
      }

      @Override
      public void close() {
        recording.close();
      }
    };
  }
}
