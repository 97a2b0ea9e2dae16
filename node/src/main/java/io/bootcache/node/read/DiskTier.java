package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The host tier's blocks, also kept on this host's local disk, so that a restarted node (or a whole
 * restarted cluster) serves the boots it served before without reading the backend.
 *
 * <p>Blocks are appended, by one writer thread and behind the readers' backs, to segment files of
 * 64 MiB each; each record carries its image key, index, hash and a CRC32C. The
 * index is in memory, a packed long per block slot (segment, offset, length), rebuilt at start from
 * the records' headers. When the segments pass the tier's size the oldest one is deleted (a log, so
 * eviction is FIFO); once the tier is three quarters full, a block read from the segments that go
 * next is appended again, so that what boots keep reading survives.
 */
public final class DiskTier implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(DiskTier.class.getName());
  /** Blocks per page of an image's index: pages exist only where blocks are kept. */
  private static final int PAGE = 1024;
  /** Blocks waiting to be written, at most: past it, offers are dropped (and counted). */
  private static final int QUEUE = 8192;
  private static final int MAX_SEGMENT_ID = (1 << 20) - 1;
  private static final Record CLOSE = new Record("", 0, null, null);

  /** Bytes of a segment file. */
  static final int SEGMENT_BYTES = 64 << 20;

  private final Path dir;
  private final long capacity;
  private final int segmentBytes;
  private final ConcurrentSkipListMap<Integer, Segment> segments = new ConcurrentSkipListMap<>();
  private final Map<String, Map<Long, AtomicLongArray>> index = new ConcurrentHashMap<>();
  private final BlockingQueue<Record> queue = new ArrayBlockingQueue<>(QUEUE);
  private final Thread writer;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong offered = new AtomicLong();
  private final AtomicLong processed = new AtomicLong();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder written = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder corrupt = new LongAdder();
  private volatile Segment active;

  /** One block on its way to disk. */
  private record Record(String key, long index, BlockHash hash, byte[] data) {}

  private DiskTier(Path dir, long capacity, int segmentBytes) {
    this.dir = dir;
    this.capacity = capacity;
    this.segmentBytes = segmentBytes;
    this.writer = new Thread(this::writeLoop, "bootcache-disk-tier");
    writer.setDaemon(true);
  }

  /** Opens the tier in {@code dir}, taking back the blocks an earlier run kept there. */
  public static DiskTier open(Path dir, long capacity) {
    return open(dir, capacity, SEGMENT_BYTES);
  }

  /** As {@link #open(Path, long)}, with segments of {@code segmentBytes} (at most 128 MiB: offsets fill 27 bits). */
  static DiskTier open(Path dir, long capacity, int segmentBytes) {
    if (segmentBytes < (1 << 20) || segmentBytes > (128 << 20)) {
      throw new IllegalArgumentException("segments of 1 to 128 MiB, got " + segmentBytes + " bytes");
    }
    if (capacity < 2L * segmentBytes) {
      throw new IllegalArgumentException("the disk tier needs at least " + 2L * segmentBytes / (1 << 20)
          + " MiB, got " + capacity + " bytes");
    }
    DiskTier tier = new DiskTier(dir, capacity, segmentBytes);
    tier.load();
    tier.writer.start();
    return tier;
  }

  private void load() {
    try {
      Files.createDirectories(dir);
      List<Integer> ids = new ArrayList<>();
      try (Stream<Path> files = Files.list(dir)) {
        files.forEach(f -> {
          Integer id = Segment.idOf(f);
          if (id != null) ids.add(id);
        });
      }
      ids.sort(null);
      if (!ids.isEmpty() && ids.get(ids.size() - 1) >= MAX_SEGMENT_ID) renumber(ids);
      long blocks = 0;
      for (int id : ids) {
        Segment s = Segment.open(dir, id);
        segments.put(id, s);
        bytes.addAndGet(s.size());
        blocks += s.scan((key, idx, offset, length) -> put(key, idx, location(id, offset, length)));
      }
      int next = ids.isEmpty() ? 1 : ids.get(ids.size() - 1) + 1;
      active = Segment.create(dir, next);
      segments.put(next, active);
      if (blocks > 0) LOG.info("disk tier " + dir + ": " + blocks + " blocks in " + ids.size() + " segments taken back");
      evict();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the disk tier in " + dir, e);
    }
  }

  /** Segment ids fill 20 bits of a location: past a million segments written, they start again from 1. */
  private void renumber(List<Integer> ids) throws IOException {
    for (int i = 0; i < ids.size(); i++) {
      Files.move(Segment.fileOf(dir, ids.get(i)), Segment.fileOf(dir, i + 1));
      ids.set(i, i + 1);
    }
  }

  /** Where a block's record is: segment id (20 bits), offset (27 bits), record length (17 bits). */
  static long location(int segment, long offset, int length) {
    return ((long) segment << 44) | (offset << 17) | length;
  }

  private static int segmentOf(long location) {
    return (int) (location >>> 44);
  }

  private static long offsetOf(long location) {
    return (location >>> 17) & ((1L << 27) - 1);
  }

  private static int lengthOf(long location) {
    return (int) (location & ((1 << 17) - 1));
  }

  private void put(String key, long idx, long location) {
    AtomicLongArray page = index.computeIfAbsent(key, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(idx / PAGE, p -> new AtomicLongArray(PAGE));
    page.set((int) (idx % PAGE), location);
  }

  private long locate(String key, long idx) {
    Map<Long, AtomicLongArray> pages = index.get(key);
    AtomicLongArray page = pages == null ? null : pages.get(idx / PAGE);
    return page == null ? 0 : page.get((int) (idx % PAGE));
  }

  private void forget(String key, long idx, long location) {
    Map<Long, AtomicLongArray> pages = index.get(key);
    AtomicLongArray page = pages == null ? null : pages.get(idx / PAGE);
    if (page != null) page.compareAndSet((int) (idx % PAGE), location, 0);
  }

  /**
   * The block, read from disk and checked, or null. {@code key} names the image's content (see
   * {@link #keyOf}). Blocking: a local disk read.
   */
  public Block lookUp(String key, long idx) {
    long location = locate(key, idx);
    Segment s = location == 0 ? null : segments.get(segmentOf(location));
    if (s == null) {
      misses.increment();
      return null;
    }
    Block b;
    try {
      b = s.read(key, idx, offsetOf(location), lengthOf(location));
    } catch (IOException e) {
      b = null; // deleted under us by eviction, or a disk error: either way a miss
    }
    if (b == null) {
      if (segments.containsKey(s.id())) corrupt.increment();
      forget(key, idx, location);
      misses.increment();
      return null;
    }
    hits.increment();
    // a block still read from the oldest segments is written again, so that eviction does not take it
    if (nearEviction(location)) offer(key, b);
    return b;
  }

  /** Keeps the block, later, on another thread; dropped when the writer is behind. Copies its bytes. */
  public void offer(String key, Block b) {
    if (queue.offer(new Record(key, b.index(), b.hash(), b.copy()))) offered.incrementAndGet();
    else dropped.increment();
  }

  /** Whether the tier holds the block (its record may still prove corrupt when read). */
  public boolean holds(String key, long idx) {
    long location = locate(key, idx);
    return location != 0 && segments.containsKey(segmentOf(location));
  }

  private void writeLoop() {
    try {
      for (Record r = queue.take(); r != CLOSE; r = queue.take()) {
        try {
          write(r);
        } catch (IOException | RuntimeException e) {
          LOG.log(Level.WARNING, "disk tier " + dir + ": cannot write a block; it stays in memory only", e);
        } finally {
          processed.incrementAndGet();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(Record r) throws IOException {
    long kept = locate(r.key(), r.index());
    if (kept != 0 && segments.containsKey(segmentOf(kept)) && !nearEviction(kept)) {
      return; // kept already, and not about to be evicted
    }
    int length = Segment.recordLength(r.key(), r.data().length);
    if (active.size() + length > segmentBytes) {
      if (active.id() == MAX_SEGMENT_ID) {
        throw new IOException("a million segments written since the last start: restart the node to renumber them");
      }
      Segment next = Segment.create(dir, active.id() + 1);
      segments.put(next.id(), next);
      active = next;
    }
    long offset = active.append(r.key(), r.index(), r.hash(), r.data());
    bytes.addAndGet(length);
    put(r.key(), r.index(), location(active.id(), offset, length));
    written.increment();
    evict();
  }

  /** Whether the block's segment is among those eviction takes next: the oldest, past three quarters full. */
  private boolean nearEviction(long location) {
    long over = bytes.get() - capacity * 3 / 4;
    if (over <= 0) return false;
    long atRisk = (over + segmentBytes - 1) / segmentBytes;
    return segmentOf(location) - segments.firstKey() < atRisk;
  }

  /** Deletes the oldest segments while the tier is over its size; their index slots read as misses. */
  private void evict() throws IOException {
    while (bytes.get() > capacity && segments.size() > 1) {
      Segment oldest = segments.pollFirstEntry().getValue();
      bytes.addAndGet(-oldest.size());
      oldest.delete();
    }
  }

  /** What names an image's content on disk: its id and when it was registered. */
  public static String keyOf(String imageId, long registeredAtMs) {
    return imageId + "@" + registeredAtMs;
  }

  public long capacity() { return capacity; }
  public long bytes() { return bytes.get(); }
  public long hits() { return hits.sum(); }
  public long misses() { return misses.sum(); }
  public long written() { return written.sum(); }
  public long dropped() { return dropped.sum(); }
  public long corrupt() { return corrupt.sum(); }

  /** Waits until every block offered so far is written (tests, and a clean stop). */
  public void flush() {
    long target = offered.get();
    while (processed.get() < target && writer.isAlive()) LockSupport.parkNanos(1_000_000);
  }

  @Override
  public void close() {
    try {
      queue.put(CLOSE);
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Segment s : segments.values()) s.close();
  }
}
