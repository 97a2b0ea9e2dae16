package io.bootcache.node;

import io.bootcache.node.backend.Backend;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.read.BlockMaps;
import io.bootcache.node.read.BlockReader;
import io.bootcache.node.read.BlockStore;
import io.bootcache.node.read.Loader;
import io.bootcache.node.record.ProfileStore;
import io.bootcache.node.record.Sessions;
import io.bootcache.node.record.WriteApplier;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.apache.ignite.Ignite;

/**
 * The parts of one node, wired once. Jobs that Ignite runs on a node (a stripe's load) find that
 * node's parts here by the Ignite instance name; several nodes may share a JVM.
 */
public record NodeServices(NodeConfig config, Ignite ignite, NodeMetrics metrics, Catalog catalog, BlockMaps maps,
    BlockStore store, Backend backend, Loader loader, BlockReader reader, Sessions sessions, ProfileStore profiles,
    WriteApplier writes, ExecutorService workers) {

  private static final Map<String, NodeServices> BY_NAME = new ConcurrentHashMap<>();

  public static NodeServices of(String igniteName) {
    NodeServices s = BY_NAME.get(igniteName);
    if (s == null) throw ApiError.unavailable("node " + igniteName + " is not running");
    return s;
  }

  static void register(NodeServices services) {
    BY_NAME.put(services.ignite().name(), services);
  }

  static void unregister(String igniteName) {
    BY_NAME.remove(igniteName);
  }
}
