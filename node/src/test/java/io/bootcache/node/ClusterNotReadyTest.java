package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.grpc.Statuses;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.concurrent.CompletionException;
import javax.cache.CacheException;
import org.apache.ignite.IgniteCacheRestartingException;
import org.apache.ignite.IgniteClientDisconnectedException;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cluster.ClusterTopologyException;
import org.apache.ignite.internal.IgniteClientDisconnectedCheckedException;
import org.apache.ignite.internal.NodeStoppingException;
import org.apache.ignite.internal.cluster.ClusterTopologyCheckedException;
import org.apache.ignite.internal.processors.cache.CacheInvalidStateException;
import org.apache.ignite.internal.processors.cache.GridCacheUtils;
import org.junit.jupiter.api.Test;

/**
 * Ignite's "the cluster cannot serve this now" failures (lost partitions, a node gone mid-request, a
 * disconnected or stopping node, an inactive cluster) reach callers as UNAVAILABLE with one line, so
 * that they retry elsewhere or fall back; only what nothing explains is INTERNAL.
 */
class ClusterNotReadyTest {
  @Test
  void ignitesNotNowFailuresAreUnavailable() {
    // as Ignite's cache API throws them: the checked exception inside a javax.cache.CacheException
    unavailable(GridCacheUtils.convertToCacheException(new CacheInvalidStateException("Failed to execute the cache "
        + "operation (all partition owners have left the grid, partition data has been lost) [cacheName=blockmap, part=7]")));
    unavailable(new CompletionException(new ClusterTopologyException("Node has left grid: 6f1c")));
    unavailable(new IgniteException(new ClusterTopologyCheckedException("Failed to send job due to node failure")));
    unavailable(new IgniteClientDisconnectedException(null, "Client node disconnected: bootcache-1"));
    unavailable(new CacheException(new IgniteClientDisconnectedCheckedException(null, "Client node disconnected")));
    unavailable(new IgniteException(new NodeStoppingException("Operation has been cancelled (node is stopping).")));
    unavailable(new IgniteCacheRestartingException("blockmap"));
    unavailable(new IgniteException("Can not perform the operation because the cluster is inactive. Note, that the "
        + "cluster is considered inactive by default if Ignite Persistent Store is used to let all the nodes join the cluster."));
  }

  @Test
  void whatNothingExplainsStaysInternalAndRefusalsKeepTheirStatus() {
    assertEquals(GrpcStatus.INTERNAL, Statuses.of(new IllegalArgumentException("a bug")).status());
    assertEquals(GrpcStatus.INTERNAL, Statuses.of(new IgniteException("Failed to map keys for cache")).status());
    assertEquals(GrpcStatus.NOT_FOUND, Statuses.of(new IgniteException(ApiError.notFound("no image x"))).status());
  }

  private static void unavailable(Throwable t) {
    StatusException s = Statuses.of(t);
    assertEquals(GrpcStatus.UNAVAILABLE, s.status(), t + " -> " + s.message());
    assertTrue(s.message().startsWith("the cluster cannot serve this now: "), s.message());
    assertFalse(s.message().contains("\n"), s.message());
  }
}
