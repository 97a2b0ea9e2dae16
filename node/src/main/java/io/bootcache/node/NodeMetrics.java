package io.bootcache.node;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.bootcache.node.read.DiskTier;
import io.bootcache.node.read.HostTier;

/** The node's named counters, in the Dropwizard registry that /metrics exports. */
public final class NodeMetrics {
  private final MetricRegistry registry;
  public final Timer fetchLatency;
  public final Meter fetches;
  public final Counter blockHits;
  public final Counter blockMisses;
  public final Meter backendReads;
  public final Counter backendBytes;
  public final Counter singleFlightWaits;
  public final Counter admittedBlocks;
  public final Counter recordedReads;
  public final Counter recordedWrites;
  public final Counter droppedReadData;
  public final Counter fetchErrors;
  /** Reads that found a block's hash mapped but its bytes evicted. */
  public final Counter evictedMisses;

  public NodeMetrics(MetricRegistry registry) {
    this.registry = registry;
    this.fetchLatency = registry.timer("bootcache.fetch.latency");
    this.fetches = registry.meter("bootcache.fetches");
    this.blockHits = registry.counter("bootcache.block.hits");
    this.blockMisses = registry.counter("bootcache.block.misses");
    this.backendReads = registry.meter("bootcache.backend.reads");
    this.backendBytes = registry.counter("bootcache.backend.bytes");
    this.singleFlightWaits = registry.counter("bootcache.singleflight.waits");
    this.admittedBlocks = registry.counter("bootcache.admitted.blocks");
    this.recordedReads = registry.counter("bootcache.record.reads");
    this.recordedWrites = registry.counter("bootcache.record.writes");
    this.droppedReadData = registry.counter("bootcache.record.read_data_ignored");
    this.fetchErrors = registry.counter("bootcache.fetch.errors");
    this.evictedMisses = registry.counter("bootcache.evicted.misses");
  }

  /** Gauges of the host tier: what it holds, and how reads fared in it. */
  public void hostTier(HostTier host) {
    registry.gauge("bootcache.host.resident_bytes", () -> host::residentBytes);
    registry.gauge("bootcache.host.capacity_bytes", () -> host::capacity);
    registry.gauge("bootcache.host.hits", () -> host::hits);
    registry.gauge("bootcache.host.misses", () -> host::misses);
    registry.gauge("bootcache.host.evictions", () -> host::evictions);
    registry.gauge("bootcache.prefetch.blocks", () -> host::prefetched);
    registry.gauge("bootcache.prefetch.used_blocks", () -> host::prefetchUsed);
    registry.gauge("bootcache.prefetch.wasted_blocks", () -> host::prefetchWasted);
  }

  /** Gauges of the disk tier: what it keeps on local disk, and how reads fared in it. */
  public void diskTier(DiskTier disk) {
    registry.gauge("bootcache.disk_tier.bytes", () -> disk::bytes);
    registry.gauge("bootcache.disk_tier.capacity_bytes", () -> disk::capacity);
    registry.gauge("bootcache.disk_tier.hits", () -> disk::hits);
    registry.gauge("bootcache.disk_tier.misses", () -> disk::misses);
    registry.gauge("bootcache.disk_tier.written_blocks", () -> disk::written);
    registry.gauge("bootcache.disk_tier.dropped_blocks", () -> disk::dropped);
    registry.gauge("bootcache.disk_tier.corrupt_blocks", () -> disk::corrupt);
  }

  public MetricRegistry registry() {
    return registry;
  }

  public void backendRead(long bytes) {
    backendReads.mark();
    backendBytes.inc(bytes);
  }
}
