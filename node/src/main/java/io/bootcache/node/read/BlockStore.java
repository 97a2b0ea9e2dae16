package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.Caches;
import java.util.Map;
import java.util.Set;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;

/** Block bytes by content hash: each distinct block once in the cluster, evicted past the region cap. */
public final class BlockStore {
  private final IgniteCache<BlockHash, byte[]> blocks;

  public BlockStore(Ignite ignite) {
    this.blocks = ignite.cache(Caches.BLOCKS);
  }

  public Map<BlockHash, byte[]> getAll(Set<BlockHash> hashes) {
    return hashes.isEmpty() ? Map.of() : blocks.getAll(hashes);
  }

  public void putAll(Map<BlockHash, byte[]> entries) {
    if (!entries.isEmpty()) blocks.putAll(entries);
  }

  public void put(BlockHash hash, byte[] data) {
    blocks.put(hash, data);
  }
}
