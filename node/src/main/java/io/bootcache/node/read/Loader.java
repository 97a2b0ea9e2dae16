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
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fills an image's missing blocks from the backend, on the node that owns their stripe. Every miss
 * of a block anywhere in the cluster comes here, so this node's single flight is the cluster's:
 * however many readers miss a block at once, the backend reads it once.
 *
 * <p>A load: join the load in flight, or claim the block and look once more in the cluster (another
 * load may just have filled it). Claimed blocks wait in a queue; one gatherer at a time takes all
 * that waits and cuts it into runs of neighbours, so misses that arrive together, from any readers,
 * become one backend read per run, and the runs are read in parallel on the backend threads. A read's
 * blocks are hashed and handed to every waiting reader at once; admission into the cluster follows
 * on its own threads, and until it is done the finished load stays joinable, so no reader reads the
 * backend again meanwhile. A failed backend read fails, and releases, every claim it held.
 */
public final class Loader {
  /** The longest backend read: runs of contiguous claims are cut here. */
  static final int MAX_RUN_BYTES = 1 << 20;
  /** Bytes of loaded blocks waiting for admission before loads admit inline. */
  static final int MAX_ADMITTING_BYTES = 64 << 20;

  private record Key(String imageId, long index) {}

  private record Claim(Image image, long index, boolean admit) {}

  private final Catalog catalog;
  private final ClusterBlocks cluster;
  private final Backend backend;
  private final NodeMetrics metrics;
  private final Executor io;
  private final Admissions admissions;
  private final SingleFlight<Key, Block> flights = new SingleFlight<>();
  /** Blocks that a reader who wants them admitted joined while another reader's load was under way. */
  private final Set<Key> wantAdmission = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Claim> claims = new ConcurrentLinkedQueue<>();
  /** A gatherer has been handed to the executor and has not yet taken the claims. */
  private final AtomicBoolean gathering = new AtomicBoolean();

  /**
   * {@code io} runs backend reads (blocking; its size bounds the reads at once), {@code admissions}
   * the cluster puts that follow them.
   */
  public Loader(Catalog catalog, ClusterBlocks cluster, Backend backend, NodeMetrics metrics, Executor io,
      Executor admissions) {
    this.catalog = catalog;
    this.cluster = cluster;
    this.backend = backend;
    this.metrics = metrics;
    this.io = io;
    this.admissions = new Admissions(cluster, admissions, MAX_ADMITTING_BYTES);
  }

  /**
   * The image's blocks, in the order asked: from the cluster if it has them by now, else from the
   * backend, once for the whole cluster. Blocking (it looks in the cluster); the future completes when
   * the backend has answered.
   */
  public CompletableFuture<Block[]> load(String imageId, long[] indexes, boolean admit) {
    Image image = catalog.image(imageId);
    @SuppressWarnings("unchecked")
    CompletableFuture<Block>[] waits = new CompletableFuture[indexes.length];
    List<Long> mine = new ArrayList<>();
    for (int i = 0; i < indexes.length; i++) {
      Key key = new Key(imageId, indexes[i]);
      SingleFlight.Ticket<Block> t = flights.join(key);
      waits[i] = t.result();
      if (t.owner()) {
        mine.add(indexes[i]);
      } else {
        metrics.singleFlightWaits.inc();
        if (admit) wantAdmission.add(key);
      }
    }
    claim(image, mine, admit);
    return CompletableFuture.allOf(waits).thenApply(v -> {
      Block[] out = new Block[waits.length];
      for (int i = 0; i < out.length; i++) out[i] = waits[i].join();
      return out;
    });
  }

  /**
   * The blocks this load owns: those the cluster has by now end their load at once; the others wait
   * for a backend read. Looking after claiming, not before, is what makes the load once: a load
   * that ended before our claim had put its blocks in the cluster first, so this look sees them.
   */
  private void claim(Image image, List<Long> mine, boolean admit) {
    if (mine.isEmpty()) return;
    long[] owned = mine.stream().mapToLong(Long::longValue).toArray();
    Block[] found = cluster.find(image.getId(), owned);
    for (int j = 0; j < owned.length; j++) {
      Key key = new Key(image.getId(), owned[j]);
      if (found[j] != null) {
        flights.finish(key, found[j]);
        flights.forget(key);
      } else {
        claims.add(new Claim(image, owned[j], admit));
      }
    }
    gatherSoon();
  }

  /**
   * Starts a gatherer for the waiting claims, unless one is about to run already: claims that arrive
   * together all go to that one.
   */
  private void gatherSoon() {
    if (!claims.isEmpty() && gathering.compareAndSet(false, true)) io.execute(this::gather);
  }

  /** Takes every claim waiting, and reads each run of neighbours on a backend thread of its own. */
  private void gather() {
    gathering.set(false);
    List<Claim> taken = takeAll();
    if (!taken.isEmpty()) for (List<Claim> run : runs(taken)) io.execute(() -> read(run));
    gatherSoon(); // a claim may have arrived after our look
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
    long t0 = System.nanoTime();
    try {
      bytes = backend.read(image, start, length);
      metrics.backendRead(image.getId(), length, System.nanoTime() - t0);
      catalog.checkContent(image); // the bytes are the registered content, not a mix with a newer one
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
    admissions.admit(imageId, blocks, () -> keys.forEach(flights::forget));
  }

  /** Loads in flight or being admitted (for tests and metrics). */
  int inFlight() {
    return flights.size();
  }
}
