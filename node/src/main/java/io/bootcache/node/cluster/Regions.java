package io.bootcache.node.cluster;

import io.bootcache.node.NodeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.ignite.DataRegionMetrics;
import org.apache.ignite.Ignite;
import org.apache.ignite.configuration.DataPageEvictionMode;
import org.apache.ignite.configuration.DataRegionConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.WALMode;

/**
 * The node's off-heap memory, in these regions:
 * <ul>
 *   <li>{@code blocks}: cached block bytes, hard-capped, pages evicted past the threshold;</li>
 *   <li>{@code blockmap}: image layers' block maps, capped with eviction (a lost entry is a miss);</li>
 *   <li>{@code meta}: images, disks, disk layers, profiles, sessions: never evicted, so the node
 *       stops admitting disk-layer writes (the disk goes stale) before it could fill.</li>
 *   <li>{@code manifests}: the block manifests of images registered with pinned blocks, never evicted,
 *       so a registration is refused before its manifest could fill it; apart from {@code meta} so
 *       that manifests never take the room of disks' writes. Restored from the data directory.</li>
 *   <li>{@code durable}, only with a disk cache: images, disks, disk layers and profiles move here,
 *       kept on local disk by Ignite's native persistence (write-ahead log forced at every write),
 *       so that a restarted cluster has them as they were.</li>
 * </ul>
 * An in-memory region without page eviction halts the JVM when it fills, so both caching regions
 * evict, and their empty-pages pool is large enough for the largest block (which spans pages).
 */
public final class Regions {
  public static final String BLOCKS = "blocks";
  public static final String BLOCKMAP = "blockmap";
  public static final String META = "meta";
  public static final String DURABLE = "durable";
  public static final String MANIFESTS = "manifests";
  /** 4 KiB pages: a 4 KiB block spans one full page plus a small tail shared with others. */
  public static final int PAGE_SIZE = 4096;
  /** Past this share of the in-memory metadata region, disk writes are refused. */
  public static final double META_FULL = 0.85;
  /** The largest block size an image may have; sizes the empty-pages pool. */
  public static final int MAX_BLOCK_SIZE = 64 * 1024;
  /** Start evicting when this fraction of the region is used. */
  public static final double EVICTION_THRESHOLD = 0.8;

  private Regions() {}

  public static DataStorageConfiguration storage(NodeConfig config) {
    DataStorageConfiguration storage = new DataStorageConfiguration()
        .setPageSize(PAGE_SIZE)
        .setMetricsEnabled(true)
        .setDefaultDataRegionConfiguration(new DataRegionConfiguration()
            .setName(META)
            .setInitialSize(Math.min(config.metaRegionBytes(), 32 * NodeConfig.MIB))
            .setMaxSize(config.metaRegionBytes())
            .setMetricsEnabled(true))
        .setDataRegionConfigurations(regions(config, null));
    if (!durable(config)) return storage;
    Path dir = config.diskCacheDir().resolve("ignite").toAbsolutePath();
    return storage
        .setStoragePath(dir.resolve("db").toString())
        .setWalPath(dir.resolve("wal").toString())
        .setWalArchivePath(dir.resolve("wal-archive").toString())
        // a write is acknowledged once its copies are in the logs on disk: a power cut loses none
        .setWalMode(WALMode.FSYNC)
        .setDataRegionConfigurations(regions(config, new DataRegionConfiguration()
            .setName(DURABLE)
            .setPersistenceEnabled(true)
            .setInitialSize(Math.min(config.metaRegionBytes(), 32 * NodeConfig.MIB))
            .setMaxSize(config.metaRegionBytes())
            .setMetricsEnabled(true)));
  }

  /** The regions beside the default one: blocks, block maps, manifests, and the durable one if given. */
  private static DataRegionConfiguration[] regions(NodeConfig config, DataRegionConfiguration durable) {
    List<DataRegionConfiguration> out = new ArrayList<>(List.of(
        evicting(BLOCKS, config.blocksRegionBytes()),
        evicting(BLOCKMAP, blockmapBytes(config)),
        new DataRegionConfiguration()
            .setName(MANIFESTS)
            .setInitialSize(16 * NodeConfig.MIB)
            .setMaxSize(config.manifestRegionBytes())
            .setMetricsEnabled(true)));
    if (durable != null) out.add(durable);
    return out.toArray(DataRegionConfiguration[]::new);
  }

  /** Bytes of the in-memory metadata region in use on this node (0 when it is not known). */
  public static long metaUsedBytes(Ignite ignite) {
    return usedBytes(ignite, META);
  }

  /** Bytes of a region in use on this node (0 when it is not known). */
  public static long usedBytes(Ignite ignite, String region) {
    DataRegionMetrics m = ignite.dataRegionMetrics(region);
    return m == null ? 0 : m.getTotalUsedPages() * (long) PAGE_SIZE;
  }

  /** Whether metadata and disk layers are kept on local disk (a disk cache is configured). */

  public static boolean durable(NodeConfig config) {
    return config.diskCacheDir() != null;
  }

  /** The region of what must outlive a restart when it can: metadata and disk layers. */
  public static String lasting(NodeConfig config) {
    return durable(config) ? DURABLE : META;
  }

  /** The block maps take about 1/32 of the block bytes they point at (32-byte hash per 4 KiB block, plus key). */
  public static long blockmapBytes(NodeConfig config) {
    return Math.max(16 * NodeConfig.MIB, config.blocksRegionBytes() / 8);
  }

  private static DataRegionConfiguration evicting(String name, long maxBytes) {
    // Ignite evicts while the region is past the threshold and fewer than this many empty pages
    // wait in its pool; an entry larger than a page needs several at once, and concurrent loads
    // fill many at a time: keep a pool of several largest entries, up to 1/16 of the region
    long pages = maxBytes / PAGE_SIZE;
    int pagesPerLargestEntry = MAX_BLOCK_SIZE / PAGE_SIZE + 2;
    int pool = (int) Math.min(pages / 16, Math.max(512, 16L * pagesPerLargestEntry));
    return new DataRegionConfiguration()
        .setName(name)
        .setInitialSize(Math.min(maxBytes, 16 * NodeConfig.MIB))
        .setMaxSize(maxBytes)
        .setPageEvictionMode(DataPageEvictionMode.RANDOM_2_LRU)
        .setEvictionThreshold(EVICTION_THRESHOLD)
        .setEmptyPagesPoolSize(pool)
        .setMetricsEnabled(true);
  }
}
