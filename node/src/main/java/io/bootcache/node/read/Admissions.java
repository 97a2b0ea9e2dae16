package io.bootcache.node.read;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Loaded blocks on their way into the cluster, off the readers' path: one thread at a time puts
 * everything queued with one call per cache, so a cold boot's many small loads cost few large puts.
 * The queue is bounded: past {@code maxQueuedBytes} the caller puts what is queued itself, so a
 * backend faster than the cluster slows to the cluster's pace instead of filling the heap.
 */
final class Admissions {
  private static final Logger LOG = Logger.getLogger(Admissions.class.getName());

  /** Blocks of one image to admit, and what to do once they are in (or failed to go in). */
  private record Pending(String imageId, Block[] blocks, long bytes, Runnable done) {}

  /** The most bytes one put into the cluster carries (a run is at most this long too). */
  static final long MAX_PUT_BYTES = Loader.MAX_RUN_BYTES;

  private final ClusterBlocks cluster;
  private final Executor executor;
  private final long maxQueuedBytes;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final AtomicBoolean draining = new AtomicBoolean();

  Admissions(ClusterBlocks cluster, Executor executor, long maxQueuedBytes) {
    this.cluster = cluster;
    this.executor = executor;
    this.maxQueuedBytes = maxQueuedBytes;
  }

  /** Queues the image's blocks for the cluster; {@code done} runs once they are in, or failed to go in. */
  void admit(String imageId, Block[] blocks, Runnable done) {
    long bytes = 0;
    for (Block b : blocks) bytes += b.length();
    queue.add(new Pending(imageId, blocks, bytes, done));
    if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
      while (queuedBytes.get() > maxQueuedBytes && putQueued()) {
        // the cluster is behind: this caller waits for it
      }
      return;
    }
    if (draining.compareAndSet(false, true)) executor.execute(this::drain);
  }

  private void drain() {
    try {
      while (putQueued()) {
        // again, with what arrived meanwhile
      }
    } finally {
      draining.set(false);
      if (!queue.isEmpty() && draining.compareAndSet(false, true)) executor.execute(this::drain);
    }
  }

  /**
   * Puts what is queued now, up to {@link #MAX_PUT_BYTES}; false when nothing was. One put at a time,
   * in order. A put is capped because a region fills by at most one put between evictions: Ignite
   * evicts ahead of inserts from a pool of empty pages, and a put larger than that pool stops the node.
   */
  private synchronized boolean putQueued() {
    List<Pending> taken = new ArrayList<>();
    long bytes = 0;
    for (Pending p; bytes < MAX_PUT_BYTES && (p = queue.poll()) != null; bytes += p.bytes()) taken.add(p);
    if (taken.isEmpty()) return false;
    List<ClusterBlocks.ImageBlocks> batch = new ArrayList<>(taken.size());
    for (Pending p : taken) batch.add(new ClusterBlocks.ImageBlocks(p.imageId(), p.blocks()));
    try {
      cluster.admit(batch);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "admitting " + taken.size() + " loads into the cluster failed", e);
    } finally {
      for (Pending p : taken) {
        queuedBytes.addAndGet(-p.bytes());
        p.done().run();
      }
    }
    return true;
  }

  /** Bytes waiting to go in. */
  long queuedBytes() {
    return queuedBytes.get();
  }
}
