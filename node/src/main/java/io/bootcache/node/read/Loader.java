package io.bootcache.node.read;

import io.bootcache.node.NodeMetrics;
import io.bootcache.node.backend.Backend;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.v1.Image;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Fills an image's missing blocks from the backend, on the node that owns their stripe. Every miss
 * of a block anywhere in the cluster comes here, so this node's single flight is the cluster's:
 * however many readers miss a block at once, the backend reads it once.
 *
 * <p>A load: look again (another load may just have filled it); join the load in flight, or claim
 * the block. Claimed blocks wait in a queue that backend readers drain, each taking all that waits,
 * so neighbouring misses that arrive together, from any readers, become one backend read. A read's
 * blocks are hashed and handed to every waiting reader at once; admission into the cluster follows
 * on its own threads, and until it is done the finished load stays joinable, so no reader reads the
 * backend again meanwhile. A failed backend read fails, and releases, every claim it held.
 */
public final class Loader {
  private static final Logger LOG = Logger.getLogger(Loader.class.getName());
  /** The longest backend read: runs of contiguous claims are cut here. */
  static final int MAX_RUN_BYTES = 1 << 20;
  /** Backend readers at once on this node (the rate limiter paces them further). */
  static final int MAX_READERS = 8;
  /** Bytes of loaded blocks waiting for admission before loads admit inline. */
  static final int MAX_ADMITTING_BYTES = 64 << 20;

  private record Key(String imageId, long index) {}

  private record Claim(Image image, long index, boolean admit) {}

  private final Catalog catalog;
  private final ClusterBlocks cluster;
  private final Backend backend;
  private final NodeMetrics metrics;
  private final Executor io;
  private final Executor admissions;
  private final SingleFlight<Key, Block> flights = new SingleFlight<>();
  /** Blocks that a reader who wants them admitted joined while another reader's load was under way. */
  private final Set<Key> wantAdmission = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Claim> claims = new ConcurrentLinkedQueue<>();
  private final AtomicInteger readers = new AtomicInteger();
  /** A reader has been handed to the executor and has not yet taken the claims. */
  private final AtomicBoolean starting = new AtomicBoolean();
  private final Semaphore admitting = new Semaphore(MAX_ADMITTING_BYTES);

  /** {@code io} runs backend reads (blocking), {@code admissions} the cluster puts that follow them. */
  public Loader(Catalog catalog, ClusterBlocks cluster, Backend backend, NodeMetrics metrics, Executor io,
      Executor admissions) {
    this.catalog = catalog;
    this.cluster = cluster;
    this.backend = backend;
    this.metrics = metrics;
    this.io = io;
    this.admissions = admissions;
  }

  /**
   * The image's blocks, in the order asked: from the cluster if it has them by now, else from the
   * backend, once for the whole cluster. Blocking (it looks in the cluster); the future completes when
   * the backend has answered.
   */
  public CompletableFuture<Block[]> load(String imageId, long[] indexes, boolean admit) {
    Image image = catalog.image(imageId);
    Block[] found = cluster.find(imageId, indexes);
    @SuppressWarnings("unchecked")
    CompletableFuture<Block>[] waits = new CompletableFuture[indexes.length];
    List<Integer> mine = new ArrayList<>();
    for (int i = 0; i < indexes.length; i++) {
      if (found[i] != null) {
        waits[i] = CompletableFuture.completedFuture(found[i]);
        continue;
      }
      Key key = new Key(imageId, indexes[i]);
      SingleFlight.Ticket<Block> t = flights.join(key);
      waits[i] = t.result();
      if (t.owner()) {
        mine.add(i);
      } else {
        metrics.singleFlightWaits.inc();
        if (admit) wantAdmission.add(key);
      }
    }
    claim(image, indexes, mine, admit);
    return CompletableFuture.allOf(waits).thenApply(v -> {
      Block[] out = new Block[waits.length];
      for (int i = 0; i < out.length; i++) out[i] = waits[i].join();
      return out;
    });
  }

  /** Queues the blocks this load owns for a backend read, but those another load filled meanwhile. */
  private void claim(Image image, long[] indexes, List<Integer> mine, boolean admit) {
    if (mine.isEmpty()) return;
    // a load may have filled a block and ended between our look and our claim: look once more
    long[] owned = new long[mine.size()];
    for (int j = 0; j < owned.length; j++) owned[j] = indexes[mine.get(j)];
    Block[] again = cluster.find(image.getId(), owned);
    for (int j = 0; j < owned.length; j++) {
      Key key = new Key(image.getId(), owned[j]);
      if (again[j] != null) {
        flights.finish(key, again[j]);
        flights.forget(key);
      } else {
        claims.add(new Claim(image, owned[j], admit));
      }
    }
    startReader();
  }

  /**
   * Starts a backend reader for the waiting claims, unless one is about to start already: claims that
   * arrive together all go to that one, while claims that arrive during reads get a reader of their
   * own (up to MAX_READERS), so a slow backend read never holds up the next.
   */
  private void startReader() {
    while (!claims.isEmpty() && !starting.get()) {
      int n = readers.get();
      if (n >= MAX_READERS) return;
      if (starting.compareAndSet(false, true)) {
        if (readers.compareAndSet(n, n + 1)) {
          io.execute(this::drain);
          return;
        }
        starting.set(false);
      }
    }
  }

  /** A backend reader: takes every claim waiting, reads them in contiguous runs, until none waits. */
  private void drain() {
    starting.set(false);
    try {
      for (List<Claim> taken = takeAll(); !taken.isEmpty(); taken = takeAll()) {
        startReader(); // claims arriving while this one reads get another reader
        for (List<Claim> run : runs(taken)) read(run);
      }
    } finally {
      readers.decrementAndGet();
      startReader(); // a claim may have arrived after our last look
    }
  }

  private List<Claim> takeAll() {
    List<Claim> taken = new ArrayList<>();
    for (Claim c; (c = claims.poll()) != null; ) taken.add(c);
    return taken;
  }

  /** Claims grouped by image, in index order, cut into runs of consecutive blocks of at most MAX_RUN_BYTES. */
  static List<List<Claim>> runs(List<Claim> claims) {
    Map<String, TreeMap<Long, Claim>> byImage = new HashMap<>();
    for (Claim c : claims) byImage.computeIfAbsent(c.image().getId(), k -> new TreeMap<>()).put(c.index(), c);
    List<List<Claim>> runs = new ArrayList<>();
    for (TreeMap<Long, Claim> sorted : byImage.values()) {
      List<Claim> run = new ArrayList<>();
      for (Claim c : sorted.values()) {
        int maxBlocks = Math.max(1, MAX_RUN_BYTES / c.image().getBlockSize());
        if (!run.isEmpty() && (c.index() != run.get(run.size() - 1).index() + 1 || run.size() == maxBlocks)) {
          runs.add(run);
          run = new ArrayList<>();
        }
        run.add(c);
      }
      if (!run.isEmpty()) runs.add(run);
    }
    return runs;
  }

  /** One backend read for a run: its blocks go to every waiting reader, then into the cluster. */
  private void read(List<Claim> run) {
    Image image = run.get(0).image();
    int bs = image.getBlockSize();
    long first = run.get(0).index();
    long start = first * bs;
    int length = (int) Math.min((long) run.size() * bs, image.getSize() - start);
    Key[] keys = new Key[run.size()];
    for (int k = 0; k < keys.length; k++) keys[k] = new Key(image.getId(), first + k);
    byte[] bytes;
    try {
      bytes = backend.read(image.getLocation(), start, length);
    } catch (RuntimeException e) {
      for (Key key : keys) {
        wantAdmission.remove(key);
        flights.fail(key, e);
      }
      return;
    }
    List<Block> admitted = new ArrayList<>();
    List<Key> admittedKeys = new ArrayList<>();
    for (int k = 0; k < keys.length; k++) {
      int from = k * bs;
      Block b = Block.hashed(first + k, ByteBuffer.wrap(bytes, from, Math.min(bs, length - from)).slice());
      flights.finish(keys[k], b);
      if (wantAdmission.remove(keys[k]) | run.get(k).admit()) {
        admitted.add(b);
        admittedKeys.add(keys[k]);
      } else {
        flights.forget(keys[k]);
      }
    }
    if (!admitted.isEmpty()) admit(image.getId(), admitted.toArray(Block[]::new), admittedKeys);
  }

  /** Puts blocks into the cluster off the reader's path; the loads stay joinable until they are in. */
  private void admit(String imageId, Block[] blocks, List<Key> keys) {
    int bytes = 0;
    for (Block b : blocks) bytes += b.length();
    int permits = bytes;
    Runnable admission = () -> {
      try {
        cluster.admit(imageId, blocks);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "admitting " + blocks.length + " blocks of image " + imageId + " failed", e);
      } finally {
        keys.forEach(flights::forget);
      }
    };
    if (admitting.tryAcquire(permits)) {
      admissions.execute(() -> {
        try {
          admission.run();
        } finally {
          admitting.release(permits);
        }
      });
    } else {
      admission.run(); // admissions are behind: this reader waits for them, so memory stays bounded
    }
  }

  /** Loads in flight or being admitted (for tests and metrics). */
  int inFlight() {
    return flights.size();
  }
}
