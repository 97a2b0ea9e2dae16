package io.bootcache.sim.workload;

import java.util.BitSet;
import java.util.List;

/**
 * A whole storm's worth of boots: one script per VM, when each VM powers on, and the images they
 * boot from. {@code description} says where it came from (preset, parameters, trace, scaling).
 */
public record Workload(String description, List<BootScript> vms, long[] startMicros, List<ImageSpec> images) {
  public Workload {
    vms = List.copyOf(vms);
    images = List.copyOf(images);
    if (startMicros.length != vms.size()) throw new IllegalArgumentException("one start time per VM");
    for (BootScript s : vms) {
      if (s.image() < 0 || s.image() >= images.size()) throw new IllegalArgumentException(s.name() + " boots a missing image");
      if (s.maxEnd() > images.get(s.image()).size()) {
        throw new IllegalArgumentException(s.name() + " reads past the end of image " + images.get(s.image()).id()
            + " (" + s.maxEnd() + " > " + images.get(s.image()).size() + ")");
      }
    }
  }

  /** The blocks of image {@code image} that any VM reads. */
  public BitSet readBlocks(int image, int blockSize) {
    BitSet b = new BitSet();
    for (BootScript s : vms) if (s.image() == image) s.readBlocks(b, blockSize);
    return b;
  }

  /** Unique bytes the storm reads: the union of read blocks over all images, in whole blocks. */
  public long uniqueReadBytes(int blockSize) {
    long total = 0;
    for (int i = 0; i < images.size(); i++) {
      BitSet b = readBlocks(i, blockSize);
      long size = images.get(i).size();
      total += (long) b.cardinality() * blockSize;
      long lastBlock = (size - 1) / blockSize;
      if (b.get((int) lastBlock)) total -= (lastBlock + 1) * blockSize - size;
    }
    return total;
  }

  /** One VM's boot alone, started at once: the baseline a storm's slowest boot is compared with. */
  public Workload alone(int vm) {
    return new Workload(description, List.of(vms.get(vm)), new long[] {0}, images);
  }

  public long totalReads() {
    return vms.stream().mapToLong(BootScript::reads).sum();
  }

  public long totalReadBytes() {
    return vms.stream().mapToLong(BootScript::readBytes).sum();
  }
}
