package io.bootcache.node;

import static io.bootcache.node.metrics.LatencyHistogram.BOOT_SECONDS;
import static io.bootcache.node.metrics.LatencyHistogram.REQUEST_SECONDS;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import io.bootcache.node.metrics.ImageMetrics;
import io.bootcache.node.metrics.LatencyHistogram;
import io.bootcache.node.metrics.MetricsSink;
import io.bootcache.node.metrics.ProcessMemory;
import io.bootcache.node.read.DiskTier;
import io.bootcache.node.read.HostTier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * This node's figures: counters in a Dropwizard registry, latencies as histograms in seconds, and
 * counters per image. {@link #writeTo} lists every one of them with its help, as /metrics shows them.
 */
public final class NodeMetrics {
  private final MetricRegistry registry;
  public final Meter fetches;
  public final Counter blockHits;
  public final Counter blockMisses;
  public final Meter backendReads;
  public final Counter backendBytes;
  /** Of backendBytes: read at registration for block manifests, not on behalf of any read. */
  public final Counter manifestBytes;
  public final Counter singleFlightWaits;
  public final Counter admittedBlocks;
  public final Counter recordedReads;
  public final Counter recordedWrites;
  public final Counter droppedReadData;
  public final Counter fetchErrors;
  /** Reads that found a block's hash mapped but its bytes evicted. */
  public final Counter evictedMisses;
  /** Reads answered to VMs and clients (prefetches are not counted), and their bytes. */
  public final Counter reads;
  public final Counter readBytes;
  public final LatencyHistogram fetchLatency = new LatencyHistogram(REQUEST_SECONDS);
  /** Answer bytes all FetchStreams hold now: requests read, answers not yet on the socket. */
  public final AtomicLong fetchQueuedBytes = new AtomicLong();
  public final LatencyHistogram nbdReadLatency = new LatencyHistogram(REQUEST_SECONDS);
  public final LatencyHistogram backendLoadLatency = new LatencyHistogram(REQUEST_SECONDS);
  public final LatencyHistogram bootDuration = new LatencyHistogram(BOOT_SECONDS);
  public final ImageMetrics images;
  private HostTier host; // null until the host tier is wired
  private DiskTier disk; // null: no disk tier

  public NodeMetrics(MetricRegistry registry) {
    this(registry, ImageMetrics.DEFAULT_MAX_IMAGES);
  }

  public NodeMetrics(MetricRegistry registry, int maxImages) {
    this.registry = registry;
    this.images = new ImageMetrics(maxImages);
    this.fetches = registry.meter("bootcache.fetches");
    this.blockHits = registry.counter("bootcache.block.hits");
    this.blockMisses = registry.counter("bootcache.block.misses");
    this.backendReads = registry.meter("bootcache.backend.reads");
    this.backendBytes = registry.counter("bootcache.backend.bytes");
    this.manifestBytes = registry.counter("bootcache.backend.manifest.bytes");
    this.singleFlightWaits = registry.counter("bootcache.singleflight.waits");
    this.admittedBlocks = registry.counter("bootcache.admitted.blocks");
    this.recordedReads = registry.counter("bootcache.record.reads");
    this.recordedWrites = registry.counter("bootcache.record.writes");
    this.droppedReadData = registry.counter("bootcache.record.read_data_ignored");
    this.fetchErrors = registry.counter("bootcache.fetch.errors");
    this.evictedMisses = registry.counter("bootcache.evicted.misses");
    this.reads = registry.counter("bootcache.reads");
    this.readBytes = registry.counter("bootcache.read.bytes");
  }

  /** The host tier whose gauges /metrics shows. */
  public void hostTier(HostTier host) {
    this.host = host;
  }

  /** The disk tier whose gauges /metrics shows. */
  public void diskTier(DiskTier disk) {
    this.disk = disk;
  }

  public MetricRegistry registry() {
    return registry;
  }

  public void backendRead(long bytes) {
    backendReads.mark();
    backendBytes.inc(bytes);
  }

  /** A backend read (counted by backendRead too) of a registration taking its image's block manifest. */
  public void manifestRead(long bytes) {
    manifestBytes.inc(bytes);
  }

  /** A backend read of an image's blocks (or of one of its disks' files), on behalf of that image. */
  public void backendRead(String imageId, long bytes, long nanos) {
    ImageMetrics.Counters c = images.of(imageId);
    c.backendReads.increment();
    c.backendBytes.add(bytes);
    backendLoadLatency.observeNanos(nanos);
  }

  public void hits(String imageId, int blocks) {
    blockHits.inc(blocks);
    images.of(imageId).hits.add(blocks);
  }

  public void misses(String imageId, int blocks) {
    blockMisses.inc(blocks);
    images.of(imageId).misses.add(blocks);
  }

  /** A read answered to a VM or client. */
  public void served(String imageId, long bytes) {
    reads.inc();
    readBytes.inc(bytes);
    ImageMetrics.Counters c = images.of(imageId);
    c.reads.increment();
    c.readBytes.add(bytes);
  }

  public void bootStarted(String imageId) {
    images.of(imageId).boots.increment();
  }

  public void bootEnded(long nanos) {
    bootDuration.observeNanos(nanos);
  }

  /** Every metric of this node, with its help. */
  public void writeTo(MetricsSink out) {
    out.counter("bootcache_fetches_total", "Fetch requests answered over gRPC (unary and stream).", fetches.getCount());
    out.counter("bootcache_fetch_errors_total", "Fetch requests that failed.", fetchErrors.getCount());
    out.histogram("bootcache_fetch_latency_seconds", "Time to answer a gRPC fetch, from its arrival to its answer.",
        fetchLatency.snapshot());
    out.histogram("bootcache_nbd_read_latency_seconds",
        "Time to answer a read on this node's NBD server, from its arrival to its answer.", nbdReadLatency.snapshot());
    out.counter("bootcache_reads_total", "Reads answered to VMs and clients (NBD and gRPC; prefetches not counted).",
        reads.getCount());
    out.counter("bootcache_read_bytes_total", "Bytes answered to VMs and clients.", readBytes.getCount());
    out.counter("bootcache_block_hits_total", "Blocks read from this host's tier, a disk layer or the cluster.",
        blockHits.getCount());
    out.counter("bootcache_block_misses_total", "Blocks that had to be loaded from the backend (once per cluster).",
        blockMisses.getCount());
    out.counter("bootcache_backend_reads_total", "Reads this node issued to the backend storage.",
        backendReads.getCount());
    out.counter("bootcache_backend_bytes_total", "Bytes this node read from the backend storage.",
        backendBytes.getCount());
    out.counter("bootcache_manifest_backend_bytes_total",
        "Of the backend bytes: read at registration to take images' block manifests.", manifestBytes.getCount());
    out.gauge("bootcache_amplification",
        "Backend bytes read per byte answered by this node since it started, registrations left out (0 before the first read).",
        readBytes.getCount() == 0 ? 0 : (double) (backendBytes.getCount() - manifestBytes.getCount()) / readBytes.getCount());
    out.histogram("bootcache_backend_read_latency_seconds",
        "Time of one backend read of an image's blocks, the rate limit's wait included.", backendLoadLatency.snapshot());
    out.counter("bootcache_singleflight_waits_total", "Misses that joined another reader's load of the block.",
        singleFlightWaits.getCount());
    out.counter("bootcache_admitted_blocks_total", "Blocks put into the cluster after a backend read.",
        admittedBlocks.getCount());
    out.counter("bootcache_evicted_misses_total", "Reads that found a block mapped but its bytes evicted.",
        evictedMisses.getCount());
    out.counter("bootcache_record_reads_total", "Reads reported by recorders.", recordedReads.getCount());
    out.counter("bootcache_record_writes_total", "Writes recorded into disk layers.", recordedWrites.getCount());
    out.counter("bootcache_record_read_data_ignored_total",
        "Recorded read data not admitted (--trust-recorded-reads is off).", droppedReadData.getCount());
    out.histogram("bootcache_boot_duration_seconds",
        "Boots started on this node, from their start to their end (EndBoot) or their last NBD request.",
        bootDuration.snapshot());
    perImage(out);
    memory(out);
  }

  /** One counter per image on /metrics. */
  private record ImageCounter(String name, String help, ToLongFunction<ImageMetrics.Counters> value) {}

  private static final List<ImageCounter> IMAGE_COUNTERS = List.of(
      new ImageCounter("bootcache_image_boots_total", "Boots of the image started on this node.", c -> c.boots.sum()),
      new ImageCounter("bootcache_image_reads_total", "Reads of the image answered by this node.", c -> c.reads.sum()),
      new ImageCounter("bootcache_image_read_bytes_total", "Bytes of the image answered by this node.",
          c -> c.readBytes.sum()),
      new ImageCounter("bootcache_image_hits_total", "Blocks of the image found without the backend.",
          c -> c.hits.sum()),
      new ImageCounter("bootcache_image_misses_total", "Blocks of the image loaded from the backend.",
          c -> c.misses.sum()),
      new ImageCounter("bootcache_image_backend_reads_total",
          "Backend reads this node issued for the image and its disks.", c -> c.backendReads.sum()),
      new ImageCounter("bootcache_image_backend_bytes_total",
          "Backend bytes this node read for the image and its disks.", c -> c.backendBytes.sum()),
      new ImageCounter("bootcache_image_prefetch_used_blocks_total",
          "Blocks of the image prefetched into this host's tier that a boot then read.", c -> c.prefetchUsed.sum()),
      new ImageCounter("bootcache_image_prefetch_unused_blocks_total",
          "Blocks of the image prefetched into this host's tier and evicted unread.", c -> c.prefetchUnused.sum()));

  private void perImage(MetricsSink out) {
    Map<String, ImageMetrics.Counters> all = images.all();
    String capped = " At most " + images.maxImages() + " images by name; the others as image=\"" + ImageMetrics.OTHER
        + "\".";
    for (ImageCounter counter : IMAGE_COUNTERS) {
      Map<String, Long> values = new LinkedHashMap<>();
      all.forEach((image, c) -> values.put(image, counter.value().applyAsLong(c)));
      out.labelled(counter.name(), counter.help() + capped, "counter", "image", values);
    }
    Map<String, Double> amplification = new LinkedHashMap<>();
    all.forEach((image, c) -> amplification.put(image, c.amplification()));
    out.labelled("bootcache_image_amplification", "Backend bytes per byte of the image answered by this node." + capped,
        "gauge", "image", amplification);
  }

  private void memory(MetricsSink out) {
    if (host != null) {
      gauge(out, "bootcache_host_resident_bytes", "Bytes of blocks this host's tier holds.", host::residentBytes);
      gauge(out, "bootcache_host_capacity_bytes", "The host tier's cap (--host-memory).", host::capacity);
      gauge(out, "bootcache_host_hits", "Blocks read from this host's tier.", host::hits);
      gauge(out, "bootcache_host_misses", "Blocks looked for in this host's tier and not found.", host::misses);
      gauge(out, "bootcache_host_evictions", "Blocks evicted from this host's tier.", host::evictions);
      gauge(out, "bootcache_prefetch_blocks", "Blocks prefetched into this host's tier.", host::prefetched);
      gauge(out, "bootcache_prefetch_used_blocks", "Prefetched blocks a boot then read.", host::prefetchUsed);
      gauge(out, "bootcache_prefetch_wasted_blocks", "Prefetched blocks evicted unread.", host::prefetchWasted);
    }
    if (disk != null) {
      gauge(out, "bootcache_disk_tier_bytes", "Bytes of block records the disk tier keeps on local disk.", disk::bytes);
      gauge(out, "bootcache_disk_tier_capacity_bytes", "The disk tier's cap (--disk-cache-size).", disk::capacity);
      gauge(out, "bootcache_disk_tier_hits", "Blocks read from the disk tier.", disk::hits);
      gauge(out, "bootcache_disk_tier_misses", "Blocks looked for in the disk tier and not found (or found corrupt).",
          disk::misses);
      gauge(out, "bootcache_disk_tier_written_blocks", "Blocks written to the disk tier.", disk::written);
      gauge(out, "bootcache_disk_tier_dropped_blocks", "Blocks not written to the disk tier because its writer was behind.",
          disk::dropped);
      gauge(out, "bootcache_disk_tier_corrupt_blocks", "Records of the disk tier that failed their check when read.",
          disk::corrupt);
    }
    Map<String, Long> used = new LinkedHashMap<>();
    used.put("heap", ProcessMemory.heapUsedBytes());
    used.put("direct", ProcessMemory.directUsedBytes());
    if (host != null) used.put("host_tier", host.allocatedBytes());
    out.labelled("bootcache_memory_used_bytes",
        "This node's memory by area: heap, direct buffers (the host tier's slabs among them), the host tier's slabs.",
        "gauge", "area", used);
    gauge(out, "bootcache_heap_max_bytes", "The JVM's heap cap.", ProcessMemory::heapMaxBytes);
    gauge(out, "bootcache_fetch_queued_bytes",
        "Answer bytes all FetchStreams hold: requests read, answers not yet on the socket (see --fetch-queue-total).",
        fetchQueuedBytes::get);
    gauge(out, "bootcache_process_resident_bytes", "The node process's resident set (VmRSS), -1 where unknown.",
        ProcessMemory::residentBytes);
  }

  private static void gauge(MetricsSink out, String name, String help, LongSupplier value) {
    out.gauge(name, help, value.getAsLong());
  }
}
