package io.bootcache.node;

import io.bootcache.node.backend.Backend;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.catalog.MetadataFiles;
import io.bootcache.node.read.BlockMaps;
import io.bootcache.node.read.BlockReader;
import io.bootcache.node.read.BlockStore;
import io.bootcache.node.read.ClusterBlocks;
import io.bootcache.node.read.DiskTier;
import io.bootcache.node.read.HostTier;
import io.bootcache.node.read.Loader;
import io.bootcache.node.record.Prefetcher;
import io.bootcache.node.record.ProfileStore;
import io.bootcache.node.record.Sessions;
import io.bootcache.node.record.WriteApplier;
import java.util.concurrent.ExecutorService;
import org.apache.ignite.Ignite;

/**
 * The parts of one node, wired once. Jobs that Ignite runs on a node (a stripe's load) find that
 * node's parts in its Ignite node-local map; several nodes may share a JVM. {@code disk} is null
 * without --disk-cache.
 */
public record NodeServices(NodeConfig config, Ignite ignite, NodeMetrics metrics, MetadataFiles files, Catalog catalog,
    BlockMaps maps,
    BlockStore store, HostTier host, DiskTier disk, ClusterBlocks cluster, Backend backend, Loader loader, BlockReader reader,
    Sessions sessions, ProfileStore profiles, Prefetcher prefetcher, WriteApplier writes, ExecutorService workers) {

  private static final String KEY = "bootcache.services";

  /** The parts of the node this Ignite instance belongs to (from inside a job Ignite runs there). */
  public static NodeServices of(Ignite ignite) {
    NodeServices s = (NodeServices) ignite.cluster().nodeLocalMap().get(KEY);
    if (s == null) throw ApiError.unavailable("node " + ignite.name() + " is not serving yet");
    return s;
  }

  void register() {
    ignite.cluster().nodeLocalMap().put(KEY, this);
  }
}
