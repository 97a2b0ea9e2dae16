package io.bootcache.node.catalog;

import io.bootcache.node.cluster.Caches;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.ignite.Ignite;
import org.apache.ignite.cluster.ClusterNode;

/**
 * Turns lost disk-layer partitions into stale disks. A partition is lost when every node that held a
 * copy left at once; the cache then refuses its entries (a read answers as stale, a write marks its
 * disk stale) rather than showing them empty, which would serve an image's bytes in place of a
 * disk's writes. The oldest node then marks stale every disk whose layer had blocks there (each disk
 * records its written partitions before it writes) and resets the partitions, so that the other
 * disks, and new writes, go on.
 */
public final class LayerLossWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LayerLossWatch.class.getName());

  private final Ignite ignite;
  private final Catalog catalog;
  private final ScheduledExecutorService timer;
  private final AtomicLong partitionsReset = new AtomicLong();

  private LayerLossWatch(Ignite ignite, Catalog catalog, String nodeName) {
    this.ignite = ignite;
    this.catalog = catalog;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bootcache-layer-loss-" + nodeName);
      t.setDaemon(true);
      return t;
    });
  }

  public static LayerLossWatch start(Ignite ignite, Catalog catalog, String nodeName) {
    LayerLossWatch watch = new LayerLossWatch(ignite, catalog, nodeName);
    watch.timer.scheduleWithFixedDelay(watch::check, 1, 1, TimeUnit.SECONDS);
    return watch;
  }

  /** Disk-layer partitions this node found lost and reset, since it started. */
  public long partitionsReset() {
    return partitionsReset.get();
  }

  private void check() {
    try {
      Collection<Integer> lost = ignite.cache(Caches.DISK_LAYERS).lostPartitions();
      if (lost.isEmpty() || !oldest()) return;
      BitSet gone = new BitSet();
      lost.forEach(gone::set);
      int marked = 0;
      for (Disk d : catalog.disks()) {
        if (d.getState() == DiskState.STALE || !Catalog.writtenPartitions(d).intersects(gone)) continue;
        catalog.markStale(d.getId(), "its layer had blocks in partitions " + lost + " of the cluster's disk layers, "
            + "lost with the nodes that held every copy");
        marked++;
      }
      ignite.resetLostPartitions(List.of(Caches.DISK_LAYERS));
      partitionsReset.addAndGet(lost.size());
      LOG.warning(lost.size() + " disk-layer partitions were lost with the nodes that held them: " + marked
          + " disks had writes there and are now stale; the partitions are reset for the others");
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not settle lost disk-layer partitions; trying again", e);
    }
  }

  /** One node settles a loss: the oldest server, which every node agrees on. */
  private boolean oldest() {
    ClusterNode oldest = ignite.cluster().forServers().forOldest().node();
    return oldest != null && oldest.isLocal();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
