package io.bootcache.node.read;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.Caches;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.cache.CachePeekMode;

/**
 * Block bytes by content hash: each distinct block once in the cluster, evicted past the region
 * cap; and, on each node, its hottest blocks on the heap in front of the region. A hash's bytes
 * never change, so the hot tier needs no invalidation: whatever it holds is right.
 */
public final class BlockStore {
  private final IgniteCache<BlockHash, byte[]> blocks;
  /** Null when turned off. */
  private final Cache<BlockHash, byte[]> hot;

  public BlockStore(Ignite ignite, long hotBytes) {
    this.blocks = ignite.cache(Caches.BLOCKS);
    this.hot = hotBytes <= 0 ? null : Caffeine.newBuilder()
        .maximumWeight(hotBytes)
        .weigher((BlockHash h, byte[] b) -> b.length + 64)
        .executor(Runnable::run) // maintenance on the caller: no extra threads
        .build();
  }

  public Map<BlockHash, byte[]> getAll(Set<BlockHash> hashes) {
    if (hashes.isEmpty()) return Map.of();
    if (hot == null) return blocks.getAll(hashes);
    Map<BlockHash, byte[]> out = new HashMap<>(hot.getAllPresent(hashes));
    if (out.size() == hashes.size()) return out;
    Set<BlockHash> rest = new HashSet<>(hashes);
    rest.removeAll(out.keySet());
    Map<BlockHash, byte[]> found = blocks.getAll(rest);
    hot.putAll(found);
    out.putAll(found);
    return out;
  }

  /**
   * The block's bytes if this node holds them (hot tier, or a primary or backup copy), without
   * leaving the node or blocking; null otherwise.
   */
  public byte[] localCopy(BlockHash hash) {
    byte[] b = hot == null ? null : hot.getIfPresent(hash);
    if (b != null) return b;
    b = blocks.localPeek(hash, CachePeekMode.PRIMARY, CachePeekMode.BACKUP);
    if (b != null && hot != null) hot.put(hash, b);
    return b;
  }

  public void putAll(Map<BlockHash, byte[]> entries) {
    if (entries.isEmpty()) return;
    blocks.putAll(entries);
    if (hot != null) hot.putAll(entries);
  }

  public void put(BlockHash hash, byte[] data) {
    blocks.put(hash, data);
    if (hot != null) hot.put(hash, data);
  }

  /** Bytes the hot tier holds now (0 when it is off). */
  public long hotBytes() {
    return hot == null ? 0 : hot.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }
}
