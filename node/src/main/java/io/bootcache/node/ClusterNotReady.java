package io.bootcache.node;

import java.util.Locale;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCacheRestartingException;
import org.apache.ignite.IgniteClientDisconnectedException;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cluster.ClusterTopologyException;
import org.apache.ignite.internal.IgniteClientDisconnectedCheckedException;
import org.apache.ignite.internal.NodeStoppingException;
import org.apache.ignite.internal.cluster.ClusterTopologyCheckedException;
import org.apache.ignite.internal.processors.cache.CacheInvalidStateException;

/**
 * Ignite's failures that say the cluster cannot serve this now (partitions lost with their owners, a
 * node gone mid-request, the node cut off or stopping, the cluster not active), not that anything is
 * wrong with the request or the node's code: as an {@link ApiError} UNAVAILABLE with one line, so that
 * callers retry elsewhere or fall back to the backend instead of seeing an internal error.
 */
public final class ClusterNotReady {
  private ClusterNotReady() {}

  /** UNAVAILABLE unless the cluster is active: cache calls on an inactive one wait until it is. */
  public static void requireActive(Ignite ignite) {
    if (!ignite.cluster().state().active()) {
      throw ApiError.unavailable("the cluster cannot serve this now: the cluster is not active (deactivated, or "
          + "waiting for its baseline nodes)");
    }
  }

  /** The UNAVAILABLE this failure means, if one of Ignite's "not now" failures is in its cause chain; else null. */
  public static ApiError in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String why = reason(c);
      if (why != null) return ApiError.unavailable("the cluster cannot serve this now: " + why);
      if (c.getCause() == c) break;
    }
    return null;
  }

  private static String reason(Throwable c) {
    if (c instanceof CacheInvalidStateException) return "partitions of its data were lost with the nodes that held them";
    if (c instanceof ClusterTopologyException || c instanceof ClusterTopologyCheckedException) {
      return "a node left the cluster during the request";
    }
    if (c instanceof IgniteClientDisconnectedException || c instanceof IgniteClientDisconnectedCheckedException) {
      return "the node is disconnected from its cluster";
    }
    if (c instanceof NodeStoppingException) return "the node is stopping";
    if (c instanceof IgniteCacheRestartingException) return "a cache is restarting";
    // an inactive cluster has no type of its own: IgniteKernal says so in the message
    if (c instanceof IgniteException && c.getMessage() != null
        && c.getMessage().toLowerCase(Locale.ROOT).contains("cluster is inactive")) {
      return "the cluster is not active";
    }
    return null;
  }
}
