package io.bootcache.node.cluster;

import io.bootcache.node.NodeConfig;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Logger;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCluster;
import org.apache.ignite.cluster.BaselineNode;
import org.apache.ignite.cluster.ClusterNode;
import org.apache.ignite.cluster.ClusterState;

/**
 * Makes a cluster with a durable region active at start. Ignite keeps such a cluster inactive until
 * every node of its baseline (the nodes that hold its data on disk) is back: a new cluster waits for
 * its initial nodes (--initial-nodes), then is activated with them as its first baseline, so that no
 * record is written before every one of them can hold a copy; a restarted one waits for its
 * baseline up to the rejoin grace, then goes on without the nodes still missing (their disk-layer
 * partitions are lost until they return; see LayerLossWatch).
 */
public final class Activation {
  private static final Logger LOG = Logger.getLogger(Activation.class.getName());

  private Activation() {}

  /**
   * Returns once the cluster is active: true when it holds nothing yet from disk (in memory, or a
   * durable cluster new here), so that the metadata files should be put back into it.
   */
  public static boolean await(Ignite ignite, NodeConfig config) {
    if (!Regions.durable(config)) return true;
    IgniteCluster cluster = ignite.cluster();
    boolean fresh = cluster.state() != ClusterState.ACTIVE && cluster.currentBaselineTopology() == null;
    if (fresh) {
      awaitInitialNodes(cluster, config.initialNodes());
      if (cluster.state() != ClusterState.ACTIVE) {
        LOG.info("a new cluster: activating it with " + cluster.forServers().nodes().size() + " nodes as its baseline");
        cluster.state(ClusterState.ACTIVE);
      }
    }
    long deadline = System.nanoTime() + config.rejoinGrace().toNanos();
    while (cluster.state() != ClusterState.ACTIVE && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(200));
    }
    if (cluster.state() != ClusterState.ACTIVE) {
      LOG.warning("baseline nodes " + missing(cluster) + " did not come back within " + config.rejoinGrace()
          + ": activating the cluster without them; their disk-layer partitions are lost until they return");
      cluster.state(ClusterState.ACTIVE);
    }
    // the baseline is kept by LayerLossWatch: a node that leaves stays in it for the rejoin grace
    cluster.baselineAutoAdjustEnabled(false);
    return fresh;
  }

  /**
   * Waits, as long as it takes, until the new cluster has its initial nodes, or another node has
   * activated it (it saw them first). A node that is not started never joins; the log says what is missing.
   */
  private static void awaitInitialNodes(IgniteCluster cluster, int initialNodes) {
    long nextLog = System.nanoTime();
    while (cluster.forServers().nodes().size() < initialNodes && cluster.state() != ClusterState.ACTIVE) {
      if (System.nanoTime() - nextLog >= 0) {
        LOG.info("a new cluster: " + cluster.forServers().nodes().size() + " of its " + initialNodes
            + " initial nodes (--initial-nodes) have joined; waiting for the others before it first activates");
        nextLog = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      }
      sleep(Duration.ofMillis(200));
    }
  }

  /** Consistent ids of baseline nodes that are not in the topology. */
  static Set<Object> missing(IgniteCluster cluster) {
    Set<Object> online = new HashSet<>();
    for (ClusterNode n : cluster.forServers().nodes()) online.add(n.consistentId());
    Set<Object> out = new HashSet<>();
    Collection<BaselineNode> baseline = cluster.currentBaselineTopology();
    if (baseline != null) for (BaselineNode b : baseline) if (!online.contains(b.consistentId())) out.add(b.consistentId());
    return out;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the cluster to activate", e);
    }
  }
}
