package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.metrics.ImageMetrics;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The blocks this host's VMs boot from, held on this host in off-heap memory, by image and block
 * index: a hit here makes no Ignite call and touches no network. Images never change, so an entry
 * never goes stale; only image blocks live here (a disk's layer changes with its writes).
 *
 * <p>Memory is a set of slabs, one per block size, each cut into slots of that size and allocated a
 * chunk at a time up to the tier's cap; past it, a CLOCK sweep evicts blocks not read since its last
 * pass. A reader pins the blocks it is given and unpins them ({@link Lease#release}) once their bytes
 * are written out: a pinned block is never evicted, so its slot is never overwritten under a reader.
 */
public final class HostTier {
  /** Bytes a slab takes from the system at a time. */
  static final int CHUNK_BYTES = 4 << 20;
  /** Blocks per page of an image's table: pages exist only where blocks are held. */
  private static final int PAGE = 1024;

  private final long capacity;
  private final AtomicLong allocated = new AtomicLong();
  private final Map<Integer, Slab> slabs = new ConcurrentHashMap<>();
  private final Map<String, Table> tables = new ConcurrentHashMap<>();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final LongAdder prefetched = new LongAdder();
  private final LongAdder prefetchUsed = new LongAdder();
  private final LongAdder prefetchWasted = new LongAdder();
  private final AtomicLong residentBytes = new AtomicLong();
  private final ImageMetrics perImage;

  /** A tier of at most {@code capacity} bytes of slabs; 0 turns it off (it holds nothing). */
  public HostTier(long capacity) {
    this(capacity, new ImageMetrics(0));
  }

  /** ... whose prefetched blocks are also counted per image, used or evicted unused. */
  public HostTier(long capacity, ImageMetrics perImage) {
    if (capacity < 0) throw new IllegalArgumentException("capacity must not be negative, got " + capacity);
    this.capacity = capacity;
    this.perImage = perImage;
  }

  /** One held block: where its bytes are, and who reads it now. */
  static final class Entry {
    final long index;
    final BlockHash hash;
    final Slab slab;
    final int slot;
    final int length;
    final Table table;
    /** Readers holding it; -1 once evicted (no reader may pin it again). */
    final AtomicInteger pins = new AtomicInteger();
    volatile boolean referenced = true;
    /** Held by a prefetch and not read since. */
    volatile boolean prefetched;

    Entry(long index, BlockHash hash, Slab slab, int slot, int length, Table table) {
      this.index = index;
      this.hash = hash;
      this.slab = slab;
      this.slot = slot;
      this.length = length;
      this.table = table;
    }

    boolean pin() {
      for (int p = pins.get(); p >= 0; p = pins.get()) {
        if (pins.compareAndSet(p, p + 1)) return true;
      }
      return false;
    }

    void unpin() {
      pins.decrementAndGet();
    }

    Block block() {
      return new Block(index, hash, slab.view(slot, length));
    }
  }

  /** Held blocks of a range, pinned until released; a block the tier does not hold is a hole (null). */
  public static final class Lease {
    private final Entry[] entries;
    private boolean released;

    private Lease(Entry[] entries) {
      this.entries = entries;
    }

    /** The range's blocks in order, viewing the tier's memory while the lease is held; null where not held. */
    public Block[] blocks() {
      Block[] out = new Block[entries.length];
      for (int k = 0; k < out.length; k++) out[k] = entries[k] == null ? null : entries[k].block();
      return out;
    }

    public synchronized void release() {
      if (released) return;
      released = true;
      for (Entry e : entries) if (e != null) e.unpin();
    }
  }

  /** The held blocks of one image, by index; pages of the index space appear as blocks arrive. */
  static final class Table {
    final String imageId;
    private final AtomicReferenceArray<AtomicReferenceArray<Entry>> pages;

    Table(String imageId, long blocks) {
      this.imageId = imageId;
      this.pages = new AtomicReferenceArray<>((int) ((blocks + PAGE - 1) / PAGE));
    }

    Entry get(long index) {
      if (index < 0 || index / PAGE >= pages.length()) return null;
      AtomicReferenceArray<Entry> page = pages.get((int) (index / PAGE));
      return page == null ? null : page.get((int) (index % PAGE));
    }

    boolean add(Entry e) {
      int p = (int) (e.index / PAGE);
      AtomicReferenceArray<Entry> page = pages.get(p);
      if (page == null) {
        pages.compareAndSet(p, null, new AtomicReferenceArray<>(PAGE));
        page = pages.get(p);
      }
      return page.compareAndSet((int) (e.index % PAGE), null, e);
    }

    void remove(Entry e) {
      AtomicReferenceArray<Entry> page = pages.get((int) (e.index / PAGE));
      if (page != null) page.compareAndSet((int) (e.index % PAGE), e, null);
    }
  }

  /** Slots of one size, a chunk at a time; the CLOCK hand over the blocks they hold. */
  final class Slab {
    final int slotBytes;
    final int slotsPerChunk;
    /** Copied on growth, so that readers look at it without a lock. */
    private volatile ByteBuffer[] chunks = new ByteBuffer[0];
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    /** The held blocks in CLOCK order. Guarded by this slab. */
    private final ArrayDeque<Entry> clock = new ArrayDeque<>();

    Slab(int slotBytes) {
      this.slotBytes = slotBytes;
      this.slotsPerChunk = Math.max(1, CHUNK_BYTES / slotBytes);
    }

    /** A read-only view of a slot's first {@code length} bytes. */
    ByteBuffer view(int slot, int length) {
      return chunks[slot / slotsPerChunk].slice((slot % slotsPerChunk) * slotBytes, length).asReadOnlyBuffer();
    }

    /** Holds the block in a free slot, evicting others if the tier is full; null if every slot is pinned. */
    synchronized Entry hold(Table table, Block block) {
      Integer slot = free.poll();
      if (slot == null) slot = grow();
      if (slot == null) slot = evictOne();
      if (slot == null) return null;
      ByteBuffer chunk = chunks[slot / slotsPerChunk];
      chunk.put((slot % slotsPerChunk) * slotBytes, block.bytes(), block.bytes().position(), block.length());
      Entry e = new Entry(block.index(), block.hash(), this, slot, block.length(), table);
      if (!table.add(e)) { // another reader held it first
        free.push(slot);
        return table.get(block.index());
      }
      clock.add(e);
      residentBytes.addAndGet(e.length);
      return e;
    }

    private Integer grow() {
      long bytes = (long) slotsPerChunk * slotBytes;
      for (long a = allocated.get(); a + bytes <= capacity; a = allocated.get()) {
        if (allocated.compareAndSet(a, a + bytes)) {
          int first = chunks.length * slotsPerChunk;
          ByteBuffer[] grown = Arrays.copyOf(chunks, chunks.length + 1);
          grown[chunks.length] = ByteBuffer.allocateDirect((int) bytes);
          chunks = grown;
          for (int i = 1; i < slotsPerChunk; i++) free.push(first + i);
          return first;
        }
      }
      return null;
    }

    /** The CLOCK sweep: a block read since the last pass gets another round; a pinned one is passed over. */
    private Integer evictOne() {
      for (int seen = 0, limit = 2 * clock.size() + 1; seen < limit; seen++) {
        Entry e = clock.poll();
        if (e == null) return null;
        if (e.referenced || e.pins.get() != 0) {
          e.referenced = false;
          clock.add(e);
          continue;
        }
        if (!e.pins.compareAndSet(0, -1)) {
          clock.add(e);
          continue;
        }
        e.table.remove(e);
        residentBytes.addAndGet(-e.length);
        evictions.increment();
        if (e.prefetched) {
          prefetchWasted.increment();
          perImage.of(e.table.imageId).prefetchUnused.increment();
        }
        return e.slot;
      }
      return null;
    }
  }

  /**
   * The blocks [first, first + count) of the image, pinned, if this host holds every one of them;
   * otherwise null (and nothing stays pinned).
   */
  public Lease lookUp(String imageId, long first, int count) {
    Lease lease = pin(imageId, first, count, true);
    if (lease != null) hits.add(count); // a miss is counted block by block by the look-up that follows it
    return lease;
  }

  /** The blocks [first, first + count) of the image that this host holds, pinned; holes where it does not. */
  public Lease lookUpEach(String imageId, long first, int count) {
    Lease lease = pin(imageId, first, count, false);
    int held = 0;
    for (Entry e : lease.entries) if (e != null) held++;
    hits.add(held);
    misses.add(count - held);
    return lease;
  }

  private Lease pin(String imageId, long first, int count, boolean all) {
    Table table = tables.get(imageId);
    if (table == null && all) return null;
    Entry[] entries = new Entry[count];
    for (int k = 0; k < count && table != null; k++) {
      Entry e = table.get(first + k);
      if (e != null && e.pin()) {
        e.referenced = true;
        if (e.prefetched) {
          e.prefetched = false;
          prefetchUsed.increment();
          perImage.of(imageId).prefetchUsed.increment();
        }
        entries[k] = e;
      } else if (all) {
        for (int j = 0; j < k; j++) entries[j].unpin();
        return null;
      }
    }
    return new Lease(entries);
  }

  /**
   * Holds a block of the image ({@code imageBlocks} blocks of {@code blockSize} bytes), copying its
   * bytes, unless it is held already. A prefetched block is counted until a reader reads it.
   */
  public void hold(String imageId, long imageBlocks, int blockSize, Block block, boolean prefetch) {
    if (capacity == 0 || block.length() == 0 || block.length() > blockSize) return;
    Table table = tables.computeIfAbsent(imageId, id -> new Table(id, imageBlocks));
    if (table.get(block.index()) != null) return;
    Entry e = slabs.computeIfAbsent(blockSize, Slab::new).hold(table, block);
    if (e == null) {
      refused.increment();
    } else if (prefetch && e.index == block.index() && !e.prefetched && e.pins.get() >= 0) {
      e.prefetched = true;
      prefetched.increment();
    }
  }

  public long capacity() { return capacity; }
  /** Bytes of blocks held now. */
  public long residentBytes() { return residentBytes.get(); }
  /** Bytes taken from the system for slabs (at most the capacity). */
  public long allocatedBytes() { return allocated.get(); }
  public long hits() { return hits.sum(); }
  public long misses() { return misses.sum(); }
  public long evictions() { return evictions.sum(); }
  /** Blocks a prefetch brought here. */
  public long prefetched() { return prefetched.sum(); }
  /** Prefetched blocks that a reader then read. */
  public long prefetchUsed() { return prefetchUsed.sum(); }
  /** Prefetched blocks evicted before any reader read them. */
  public long prefetchWasted() { return prefetchWasted.sum(); }
  /** Blocks not held because every slot of their size was pinned by readers. */
  public long refused() { return refused.sum(); }
}
