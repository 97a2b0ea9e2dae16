package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.Caches;
import java.util.Map;
import java.util.Set;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;

/**
 * Block bytes by content hash, in the cluster: each distinct block once (plus backups), evicted past
 * the region cap. A hash's bytes never change.
 */
public final class BlockStore {
  private final IgniteCache<BlockHash, byte[]> blocks;

  public BlockStore(Ignite ignite) {
    this.blocks = ignite.cache(Caches.BLOCKS);
  }

  /** The bytes of the hashes the cluster holds, in one batched call. */
  public Map<BlockHash, byte[]> getAll(Set<BlockHash> hashes) {
    return hashes.isEmpty() ? Map.of() : blocks.getAll(hashes);
  }

  public void putAll(Map<BlockHash, byte[]> entries) {
    if (!entries.isEmpty()) blocks.putAll(entries);
  }
}
