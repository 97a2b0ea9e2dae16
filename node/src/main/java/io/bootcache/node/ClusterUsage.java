package io.bootcache.node;

import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.Regions;
import java.util.Collection;
import javax.cache.Cache;
import org.apache.ignite.DataRegionMetrics;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.cache.CachePeekMode;
import org.apache.ignite.lang.IgniteCallable;
import org.apache.ignite.resources.IgniteInstanceResource;

/** What the blocks region holds on each node, and the evicted blocks reads ran into, summed over the cluster. */
public record ClusterUsage(long cachedBlocks, long cachedBytes, long regionUsedBytes, long regionMaxBytes, long evictions) {

  public static ClusterUsage of(Ignite ignite) {
    Collection<long[]> perNode = ignite.compute().broadcast(new Local());
    long[] sum = new long[5];
    for (long[] n : perNode) for (int i = 0; i < sum.length; i++) sum[i] += n[i];
    return new ClusterUsage(sum[0], sum[1], sum[2], sum[3], sum[4]);
  }

  /** This node's primary blocks (count, bytes), its region's used and max bytes, its evictions. */
  static final class Local implements IgniteCallable<long[]> {
    private static final long serialVersionUID = 1L;
    @IgniteInstanceResource
    private transient Ignite ignite;

    @Override
    public long[] call() {
      IgniteCache<BlockHash, byte[]> blocks = ignite.cache(Caches.BLOCKS);
      long count = 0;
      long bytes = 0;
      for (Cache.Entry<BlockHash, byte[]> e : blocks.localEntries(CachePeekMode.PRIMARY)) {
        count++;
        bytes += e.getValue().length;
      }
      DataRegionMetrics m = ignite.dataRegionMetrics(Regions.BLOCKS);
      NodeServices s = NodeServices.of(ignite);
      long used = m == null ? 0 : m.getTotalUsedPages() * (long) Regions.PAGE_SIZE;
      // Ignite's page eviction is silent; what shows is a read that finds a mapped block gone
      long evicted = s.metrics().evictedMisses.getCount();
      return new long[] {count, bytes, used, s.config().blocksRegionBytes(), evicted};
    }
  }
}
