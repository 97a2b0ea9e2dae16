package io.bootcache.sim.storm;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What the VMs of one storm did, counted as they go: shared by all VM runners of a run. */
final class Tally {
  final LongAdder reads = new LongAdder();
  final LongAdder readBytes = new LongAdder();
  final LongAdder localReads = new LongAdder();
  final LongAdder writes = new LongAdder();
  final LongAdder errors = new LongAdder();
  final AtomicLong vmsDone = new AtomicLong();
  private final BitSet[] readBlocks;
  private final int blockSize;
  private long[] latencies = new long[1024];
  private int latencyCount;
  private final double[] bootMs;
  private volatile String firstError;

  Tally(int images, int vms, int blockSize) {
    this.readBlocks = new BitSet[images];
    for (int i = 0; i < images; i++) readBlocks[i] = new BitSet();
    this.blockSize = blockSize;
    this.bootMs = new double[vms];
    Arrays.fill(bootMs, Double.NaN);
  }

  void read(int image, long offset, int length, long latencyNanos) {
    reads.increment();
    readBytes.add(length);
    synchronized (readBlocks[image]) {
      readBlocks[image].set((int) (offset / blockSize), (int) ((offset + length + blockSize - 1) / blockSize));
    }
    synchronized (this) {
      if (latencyCount == latencies.length) latencies = Arrays.copyOf(latencies, latencies.length * 2);
      latencies[latencyCount++] = latencyNanos;
    }
  }

  void error(String what) {
    errors.increment();
    if (firstError == null) firstError = what;
  }

  synchronized void booted(int vm, double ms) {
    bootMs[vm] = ms;
    vmsDone.incrementAndGet();
  }

  synchronized double[] bootMs() {
    return bootMs.clone();
  }

  synchronized long[] latencies() {
    return Arrays.copyOf(latencies, latencyCount);
  }

  String firstError() {
    return firstError;
  }

  /** Unique bytes the VMs asked their source for, in whole blocks (the last block of an image may be short). */
  long uniqueBytes(List<Long> imageSizes) {
    long total = 0;
    for (int i = 0; i < readBlocks.length; i++) {
      synchronized (readBlocks[i]) {
        BitSet b = readBlocks[i];
        total += (long) b.cardinality() * blockSize;
        long size = imageSizes.get(i);
        int last = (int) ((size - 1) / blockSize);
        if (b.get(last)) total -= (long) (last + 1) * blockSize - size;
      }
    }
    return total;
  }
}
