package io.bootcache.node.read;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeMetrics;
import io.bootcache.node.backend.Backend;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.BlockRef;
import io.bootcache.v1.Image;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fills an image's missing blocks from the backend, on the node that owns their stripe.
 * Every miss of a block anywhere in the cluster is routed here, so this node's single flight
 * is the cluster's: however many requests miss a block at once, the backend reads it once.
 *
 * <p>The load path, top to bottom: look again (another load may just have filled it); join a
 * load already in flight; else claim the block, read each contiguous run of claimed blocks with
 * one backend read, hash, admit into the cache if the read belongs to a boot or a warm-up, and
 * hand the bytes to everyone waiting.
 */
public final class Loader {
  private static final long WAIT_SECONDS = 60;

  private final Catalog catalog;
  private final BlockMaps maps;
  private final BlockStore store;
  private final Backend backend;
  private final NodeMetrics metrics;
  private final Map<InFlight, CompletableFuture<Block>> inFlight = new ConcurrentHashMap<>();

  private record InFlight(String imageId, long index) {}

  /** A block's bytes with its hash. */
  record Block(byte[] data, BlockHash hash) {}

  public Loader(Catalog catalog, BlockMaps maps, BlockStore store, Backend backend, NodeMetrics metrics) {
    this.catalog = catalog;
    this.maps = maps;
    this.store = store;
    this.backend = backend;
    this.metrics = metrics;
  }

  public LoadedBlocks load(String imageId, long[] indexes, boolean admit) {
    Image image = catalog.image(imageId);
    Block[] out = new Block[indexes.length];
    lookAgain(image, indexes, out);

    List<Integer> mine = new ArrayList<>();
    Map<Integer, CompletableFuture<Block>> theirs = new HashMap<>();
    for (int i = 0; i < indexes.length; i++) {
      if (out[i] != null) continue;
      CompletableFuture<Block> claim = new CompletableFuture<>();
      CompletableFuture<Block> running = inFlight.putIfAbsent(new InFlight(imageId, indexes[i]), claim);
      if (running == null) mine.add(i); else theirs.put(i, running);
    }
    // a load may have filled and released a block between our first look and our claim: look once
    // more at what we claimed (a load fills before it releases, so this look sees it)
    if (!mine.isEmpty()) {
      lookAgain(image, indexes, out);
      for (java.util.Iterator<Integer> it = mine.iterator(); it.hasNext(); ) {
        int i = it.next();
        if (out[i] != null) {
          release(imageId, indexes[i]).complete(out[i]);
          it.remove();
        }
      }
    }
    // load ours before waiting for theirs: a load never waits while holding a claim
    for (List<Integer> run : contiguousRuns(indexes, mine)) loadRun(image, indexes, run, admit, out);
    for (Map.Entry<Integer, CompletableFuture<Block>> e : theirs.entrySet()) {
      metrics.singleFlightWaits.inc();
      out[e.getKey()] = await(e.getValue(), image, indexes[e.getKey()]);
    }
    return pack(indexes, out);
  }

  /** Fills {@code out} with the blocks that are cached by now. */
  private void lookAgain(Image image, long[] indexes, Block[] out) {
    Set<BlockRef> unknown = new HashSet<>();
    BlockHash[] hashes = new BlockHash[indexes.length];
    for (int i = 0; i < indexes.length; i++) {
      hashes[i] = maps.remembered(image.getId(), indexes[i]);
      if (hashes[i] == null) unknown.add(maps.imageRef(image.getId(), indexes[i]));
    }
    Map<BlockRef, BlockHash> found = maps.lookUp(unknown);
    Set<BlockHash> wanted = new HashSet<>();
    for (int i = 0; i < indexes.length; i++) {
      if (hashes[i] == null) hashes[i] = found.get(maps.imageRef(image.getId(), indexes[i]));
      if (hashes[i] != null) wanted.add(hashes[i]);
    }
    Map<BlockHash, byte[]> cached = store.getAll(wanted);
    for (int i = 0; i < indexes.length; i++) {
      byte[] data = hashes[i] == null ? null : cached.get(hashes[i]);
      if (data != null) out[i] = new Block(data, hashes[i]);
    }
  }

  private void loadRun(Image image, long[] indexes, List<Integer> run, boolean admit, Block[] out) {
    int bs = image.getBlockSize();
    long first = indexes[run.get(0)];
    long start = first * bs;
    int length = (int) Math.min((long) run.size() * bs, image.getSize() - start);
    try {
      byte[] bytes = backend.read(image.getLocation(), start, length);
      long[] runIndexes = new long[run.size()];
      BlockHash[] runHashes = new BlockHash[run.size()];
      Map<BlockHash, byte[]> fill = new HashMap<>();
      for (int k = 0; k < run.size(); k++) {
        int from = k * bs;
        byte[] data = java.util.Arrays.copyOfRange(bytes, from, Math.min(from + bs, bytes.length));
        BlockHash hash = BlockHash.of(data);
        out[run.get(k)] = new Block(data, hash);
        runIndexes[k] = first + k;
        runHashes[k] = hash;
        fill.put(hash, data);
      }
      if (admit) {
        store.putAll(fill);
        maps.map(image.getId(), runIndexes, runHashes);
        metrics.admittedBlocks.inc(run.size());
      }
      for (int k = 0; k < run.size(); k++) release(image.getId(), runIndexes[k]).complete(out[run.get(k)]);
    } catch (RuntimeException e) {
      for (int k = 0; k < run.size(); k++) release(image.getId(), first + k).completeExceptionally(e);
      throw e;
    }
  }

  private CompletableFuture<Block> release(String imageId, long index) {
    return inFlight.remove(new InFlight(imageId, index));
  }

  private static Block await(CompletableFuture<Block> f, Image image, long index) {
    try {
      return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiError api) throw api;
      throw ApiError.unavailable("loading block " + index + " of image " + image.getId() + " failed: " + e.getCause());
    } catch (TimeoutException e) {
      throw ApiError.unavailable("block " + index + " of image " + image.getId() + " took over " + WAIT_SECONDS + " s to load");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApiError.unavailable("interrupted while waiting for block " + index + " of image " + image.getId());
    }
  }

  /** Splits the claimed positions into runs of consecutive block indexes. */
  static List<List<Integer>> contiguousRuns(long[] indexes, List<Integer> positions) {
    List<Integer> sorted = new ArrayList<>(positions);
    sorted.sort((a, b) -> Long.compare(indexes[a], indexes[b]));
    List<List<Integer>> runs = new ArrayList<>();
    List<Integer> run = new ArrayList<>();
    for (int p : sorted) {
      if (!run.isEmpty() && indexes[p] != indexes[run.get(run.size() - 1)] + 1) {
        runs.add(run);
        run = new ArrayList<>();
      }
      run.add(p);
    }
    if (!run.isEmpty()) runs.add(run);
    return runs;
  }

  private static LoadedBlocks pack(long[] indexes, Block[] blocks) {
    byte[][] data = new byte[blocks.length][];
    byte[][] hashes = new byte[blocks.length][];
    for (int i = 0; i < blocks.length; i++) {
      data[i] = blocks[i].data();
      hashes[i] = blocks[i].hash().toBytes();
    }
    return new LoadedBlocks(indexes, data, hashes);
  }
}
