package io.bootcache.node.catalog;

import io.bootcache.node.NodeConfig;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.Regions;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCluster;
import org.apache.ignite.cluster.BaselineNode;
import org.apache.ignite.cluster.ClusterNode;

/**
 * Turns lost disk-layer partitions into stale disks, never into empty layers. A partition is lost
 * when every node that held a copy is gone; the cache then refuses its entries (a read answers as
 * stale, a write marks its disk stale) rather than showing them empty, which would serve an image's
 * bytes in place of a disk's writes. Every disk records its written partitions before it writes.
 * The oldest node settles a loss:
 * <ul>
 *   <li>in memory, the data is gone: it marks stale every disk that had blocks in the lost
 *       partitions and resets them, so that the other disks, and new writes, go on;</li>
 *   <li>with a disk cache, the data is on the missing nodes' disks: it keeps them in the baseline
 *       for the rejoin grace and resets the partitions when they are back (nothing goes stale), or
 *       lets them go after the grace and settles as in memory. It also adds new nodes to the
 *       baseline.</li>
 * </ul>
 */
public final class LayerLossWatch implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LayerLossWatch.class.getName());

  /** The partitioned caches kept on disk with a disk cache: a loss there is refused until reset. */
  private static final List<String> LASTING = List.of(Caches.DISK_LAYERS, Caches.PROFILES);

  private final Ignite ignite;
  private final Catalog catalog;
  private final boolean durable;
  private final Duration grace;
  private final ScheduledExecutorService timer;
  /** Baseline nodes not in the topology, by consistent id: since when (nanoTime). */
  private final Map<Object, Long> missingSince = new HashMap<>();

  private LayerLossWatch(Ignite ignite, Catalog catalog, NodeConfig config) {
    this.ignite = ignite;
    this.catalog = catalog;
    this.durable = Regions.durable(config);
    this.grace = config.rejoinGrace();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bootcache-layer-loss-" + config.nodeName());
      t.setDaemon(true);
      return t;
    });
  }

  public static LayerLossWatch start(Ignite ignite, Catalog catalog, NodeConfig config) {
    LayerLossWatch watch = new LayerLossWatch(ignite, catalog, config);
    watch.timer.scheduleWithFixedDelay(watch::check, 1, 1, TimeUnit.SECONDS);
    return watch;
  }

  private void check() {
    try {
      if (!oldest()) return;
      if (durable) {
        if (keepBaseline()) return;
        if (!missingSince.isEmpty()) return; // their partitions may come back with them
      }
      Collection<Integer> lost = ignite.cache(Caches.DISK_LAYERS).lostPartitions();
      if (lost.isEmpty()) {
        // profiles on disk are refused too while lost (a persistent cache ignores no loss)
        if (durable && !ignite.cache(Caches.PROFILES).lostPartitions().isEmpty()) ignite.resetLostPartitions(LASTING);
        return;
      }
      if (durable) {
        // every baseline node is here again: what they kept on disk is back, the partitions with it
        ignite.resetLostPartitions(LASTING);
        LOG.info(lost.size() + " disk-layer partitions came back with their nodes");
        return;
      }
      settle(lost, "lost with the nodes that held every copy");
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not settle lost disk-layer partitions; trying again", e);
    }
  }

  /** Marks stale the disks with blocks in the lost partitions, then resets those for the others. */
  private void settle(Collection<Integer> lost, String why) {
    int marked = markStale(lost, why);
    ignite.resetLostPartitions(durable ? LASTING : List.of(Caches.DISK_LAYERS));
    LOG.warning(lost.size() + " disk-layer partitions were " + why + ": " + marked
        + " disks had writes there and are now stale; the partitions are reset for the others");
  }

  private int markStale(Collection<Integer> lost, String why) {
    BitSet gone = new BitSet();
    lost.forEach(gone::set);
    int marked = 0;
    for (Disk d : catalog.disks()) {
      if (d.getState() == DiskState.STALE || !Catalog.writtenPartitions(d).intersects(gone)) continue;
      catalog.markStale(d.getId(), "its layer had blocks in partitions " + lost + " of the cluster's disk layers, " + why);
      marked++;
    }
    return marked;
  }

  /**
   * Adds new nodes to the baseline, and removes those missing for longer than the grace, settling
   * their lost partitions first. True when it changed the baseline.
   */
  private boolean keepBaseline() {
    IgniteCluster cluster = ignite.cluster();
    Collection<BaselineNode> baseline = cluster.currentBaselineTopology();
    if (baseline == null) return false;
    Set<Object> inBaseline = new HashSet<>();
    for (BaselineNode b : baseline) inBaseline.add(b.consistentId());
    Set<Object> online = new HashSet<>();
    List<BaselineNode> next = new ArrayList<>(baseline);
    boolean changed = false;
    for (ClusterNode n : cluster.forServers().nodes()) {
      online.add(n.consistentId());
      if (inBaseline.add(n.consistentId())) {
        next.add(n);
        changed = true;
      }
    }
    long now = System.nanoTime();
    missingSince.keySet().removeIf(online::contains);
    Set<Object> expired = new HashSet<>();
    for (BaselineNode b : baseline) {
      if (online.contains(b.consistentId())) continue;
      long since = missingSince.computeIfAbsent(b.consistentId(), id -> now);
      if (now - since >= grace.toNanos()) expired.add(b.consistentId());
    }
    if (!expired.isEmpty()) {
      // their disks are given up: the disks with writes there go stale, then the partitions are reset
      // on the baseline without them (Ignite resets only partitions that have a baseline owner online)
      Collection<Integer> lost = ignite.cache(Caches.DISK_LAYERS).lostPartitions();
      int marked = markStale(lost, "on nodes " + expired + ", which did not come back within " + grace);
      if (!lost.isEmpty()) LOG.warning(lost.size() + " disk-layer partitions were on nodes " + expired + ", gone for longer than "
          + grace + ": " + marked + " disks had writes there and are now stale");
      next.removeIf(b -> expired.contains(b.consistentId()));
      expired.forEach(missingSince::remove);
      changed = true;
    }
    if (changed) cluster.setBaselineTopology(next);
    if (!expired.isEmpty()) ignite.resetLostPartitions(LASTING);
    return changed;
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
