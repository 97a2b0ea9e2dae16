package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.Caches;
import java.util.Map;
import java.util.Set;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.cache.CachePeekMode;

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

  /**
   * The block's bytes if this node holds a copy (primary or backup), without leaving the node or
   * blocking; null otherwise. Safe for any copy: a hash's bytes never change.
   */
  public byte[] localCopy(BlockHash hash) {
    return blocks.localPeek(hash, CachePeekMode.PRIMARY, CachePeekMode.BACKUP);
  }

  public void put(BlockHash hash, byte[] data) {
    blocks.put(hash, data);
  }
}
