package io.bootcache.node.cluster;

import io.bootcache.node.NodeConfig;
import java.util.concurrent.TimeUnit;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import org.apache.ignite.cache.CacheAtomicityMode;
import org.apache.ignite.cache.CacheMode;
import org.apache.ignite.cache.CacheWriteSynchronizationMode;
import org.apache.ignite.cache.PartitionLossPolicy;
import org.apache.ignite.cache.affinity.rendezvous.RendezvousAffinityFunction;
import org.apache.ignite.configuration.CacheConfiguration;

/** The cluster's caches: names, modes, regions. DESIGN.md "Data in the cluster" is the table. */
public final class Caches {
  /** image id -> Image (protobuf bytes). */
  public static final String IMAGES = "images";
  /** disk id -> Disk (protobuf bytes). */
  public static final String DISKS = "disks";
  /**
   * id -> which kind of target holds it. Images and disks share one namespace (NBD exports them
   * by id), so a name is claimed here, atomically, before either record is written.
   */
  public static final String NAMES = "names";
  /** (image layer, block index) -> block hash (32 bytes). Evictable: a lost entry is just a miss. */
  public static final String BLOCKMAP = "blockmap";
  /** (disk layer, block index) -> LayerBlock. Never evicted: it is the only record of a disk's writes. */
  public static final String DISK_LAYERS = "disklayers";
  /** block hash -> block bytes, in the size-capped region with eviction. */
  public static final String BLOCKS = "blocks";
  /** "image id@chunk" -> BlockManifestChunk (protobuf bytes): the hashes of an image's blocks, pinned at registration. */
  public static final String MANIFESTS = "manifests";
  /** image id -> BootProfile (protobuf bytes). */
  public static final String PROFILES = "profiles";
  /** session id -> BootSession (protobuf bytes), expiring when the boot window closes. */
  public static final String SESSIONS = "sessions";

  private static final int PARTITIONS = 256;

  private Caches() {}

  public static CacheConfiguration<?, ?>[] all(NodeConfig config) {
    String lasting = Regions.lasting(config);
    return new CacheConfiguration<?, ?>[] {
      replicated(IMAGES, lasting),
      replicated(DISKS, lasting),
      replicated(NAMES, lasting),
      replicated(MANIFESTS, Regions.MANIFESTS),
      partitioned(BLOCKMAP, Regions.BLOCKMAP, config.backups()),
      // a lost partition of a disk layer is refused, not read as empty: see LayerLossWatch
      partitioned(DISK_LAYERS, lasting, config.backups()).setPartitionLossPolicy(PartitionLossPolicy.READ_WRITE_SAFE),
      partitioned(BLOCKS, Regions.BLOCKS, config.backups()),
      partitioned(PROFILES, lasting, config.backups()),
      partitioned(SESSIONS, Regions.META, config.backups())
          .setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(
              new Duration(TimeUnit.MILLISECONDS, config.bootWindow().toMillis() + 60_000))),
    };
  }

  private static CacheConfiguration<Object, Object> replicated(String name, String region) {
    return new CacheConfiguration<>(name)
        .setCacheMode(CacheMode.REPLICATED)
        .setAtomicityMode(CacheAtomicityMode.ATOMIC)
        .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC)
        .setDataRegionName(region);
  }

  private static CacheConfiguration<Object, Object> partitioned(String name, String region, int backups) {
    return new CacheConfiguration<>(name)
        .setCacheMode(CacheMode.PARTITIONED)
        .setAtomicityMode(CacheAtomicityMode.ATOMIC)
        .setBackups(backups)
        // a write is acknowledged once every copy has it: a node loss never loses a disk's write
        .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC)
        .setReadFromBackup(true)
        .setCopyOnRead(false)
        .setAffinity(new RendezvousAffinityFunction(false, PARTITIONS))
        .setDataRegionName(region);
  }
}
