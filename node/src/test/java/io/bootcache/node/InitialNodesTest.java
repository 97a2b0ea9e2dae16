package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ignite.cluster.ClusterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new durable cluster waits for its initial nodes before it first activates: the first node alone
 * does not start serving, and the first baseline holds them all, so no record is written to one node
 * only. (Activated with the first node alone, the cluster would write its first records there before
 * the second joined the baseline.)
 */
class InitialNodesTest {
  @TempDir
  Path dir;

  @Test
  void theFirstNodeWaitsForTheSecondBeforeTheClusterActivates() throws Exception {
    List<NodeConfig> configs = LocalCluster.builder().nodes(2).dataDir(dir).diskCache(128 * NodeConfig.MIB).configs();
    assertEquals(2, configs.get(0).initialNodes());
    CompletableFuture<BootCacheNode> first = CompletableFuture.supplyAsync(() -> BootCacheNode.start(configs.get(0)));
    BootCacheNode second = null;
    try {
      TimeUnit.SECONDS.sleep(6);
      assertFalse(first.isDone(), "the first node alone must not activate a new cluster with --initial-nodes 2");
      second = BootCacheNode.start(configs.get(1));
      BootCacheNode one = first.get(60, TimeUnit.SECONDS);
      for (BootCacheNode n : List.of(one, second)) {
        assertEquals(ClusterState.ACTIVE, n.ignite().cluster().state());
        assertEquals(2, n.ignite().cluster().currentBaselineTopology().size(), "the first baseline holds both nodes");
      }
    } finally {
      if (second != null) second.close();
      first.thenAccept(BootCacheNode::close);
      if (!first.isDone()) first.cancel(true);
    }
  }
}
