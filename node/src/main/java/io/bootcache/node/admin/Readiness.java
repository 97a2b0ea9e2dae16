package io.bootcache.node.admin;

import io.vertx.core.json.JsonObject;
import org.apache.ignite.Ignite;

/** Whether the node takes traffic: it serves on every edge, and it has joined an active cluster. */
public record Readiness(boolean ready, String reason, int clusterNodes) {

  public static Readiness no(String reason) {
    return new Readiness(false, reason, 0);
  }

  public static Readiness of(Ignite ignite, boolean serving) {
    if (!serving) return no("the node is still starting its servers");
    if (!ignite.cluster().active()) return no("the cluster is not active");
    var servers = ignite.cluster().forServers().nodes();
    if (!servers.contains(ignite.cluster().localNode())) return no("this node is not in the cluster's topology");
    return new Readiness(true, "", servers.size());
  }

  public JsonObject json(String nodeName) {
    JsonObject out = new JsonObject().put("status", ready ? "READY" : "NOT_READY").put("node", nodeName);
    return ready ? out.put("clusterNodes", clusterNodes) : out.put("reason", reason);
  }
}
