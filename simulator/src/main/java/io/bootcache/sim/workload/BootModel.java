package io.bootcache.sim.workload;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A synthetic boot: which parts of an image a VM reads, in which sizes and order, how many requests
 * it keeps in flight and how long it thinks between them. Immutable; build one with
 * {@link #builder()} or start from a {@link Presets preset}.
 *
 * <p>How a boot is drawn: the image's working set is a sequence of reads laid out over the image
 * (each read continues the previous one with probability {@code sequentiality}, else jumps to a
 * fresh place), the same for every boot of that image. Each VM keeps each of those reads with
 * probability sqrt(overlap) and swaps the others for reads of its own elsewhere in the image, so
 * that two boots share a fraction {@code overlap} of their blocks; it mixes in writes (a fraction
 * {@code writeFraction} of all requests). Think times are exponential.
 */
public final class BootModel {
  private static final int ALIGN = 4096;

  private final long imageSize;
  private final double workingSetFraction;
  private final ReadSizes readSizes;
  private final double sequentiality;
  private final double overlap;
  private final double writeFraction;
  private final int inFlight;
  private final Duration thinkTime;
  private final Duration startSpread;
  private final int firmwareReads;
  private final Duration firmwareThinkTime;
  private final long seed;

  private BootModel(Builder b) {
    imageSize = b.imageSize;
    workingSetFraction = b.workingSetFraction;
    readSizes = b.readSizes;
    sequentiality = b.sequentiality;
    overlap = b.overlap;
    writeFraction = b.writeFraction;
    inFlight = b.inFlight;
    thinkTime = b.thinkTime;
    startSpread = b.startSpread;
    firmwareReads = b.firmwareReads;
    firmwareThinkTime = b.firmwareThinkTime;
    seed = b.seed;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.imageSize = imageSize;
    b.workingSetFraction = workingSetFraction;
    b.readSizes = readSizes;
    b.sequentiality = sequentiality;
    b.overlap = overlap;
    b.writeFraction = writeFraction;
    b.inFlight = inFlight;
    b.thinkTime = thinkTime;
    b.startSpread = startSpread;
    b.firmwareReads = firmwareReads;
    b.firmwareThinkTime = firmwareThinkTime;
    b.seed = seed;
    return b;
  }

  /**
   * This model shrunk to fit a small machine: image and working set sizes times {@code sizeScale}
   * (so about that many fewer requests), think times and start spread times {@code timeScale}.
   */
  public BootModel scaled(double sizeScale, double timeScale) {
    if (sizeScale <= 0 || timeScale <= 0) throw new IllegalArgumentException("scales must be positive");
    long size = Math.max(ALIGN * 16L, (long) (imageSize * sizeScale) / ALIGN * ALIGN);
    return toBuilder()
        .imageSize(size)
        .thinkTime(scale(thinkTime, timeScale))
        .startSpread(scale(startSpread, timeScale))
        .firmwareReads((int) Math.round(firmwareReads * sizeScale))
        .firmwareThinkTime(scale(firmwareThinkTime, timeScale))
        .build();
  }

  public long imageSize() { return imageSize; }
  public double workingSetFraction() { return workingSetFraction; }
  public ReadSizes readSizes() { return readSizes; }
  public double sequentiality() { return sequentiality; }
  public double overlap() { return overlap; }
  public double writeFraction() { return writeFraction; }
  public int inFlight() { return inFlight; }
  public Duration thinkTime() { return thinkTime; }
  public Duration startSpread() { return startSpread; }
  public int firmwareReads() { return firmwareReads; }
  public long seed() { return seed; }

  public long workingSetBytes() {
    return Math.max(ALIGN, (long) (imageSize * workingSetFraction) / ALIGN * ALIGN);
  }

  /** The boot of VM {@code vm} from image {@code image} (whose content seed is {@code imageSeed}). */
  public BootScript boot(int vm, int image, long imageSeed) {
    List<long[]> shared = sharedReads(imageSeed);
    SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + imageSeed * 7919L + vm);
    List<IoRequest> out = new ArrayList<>(shared.size() * 2 + firmwareReads);
    long fwGap = firmwareThinkTime.toNanos() / 1000;
    for (int i = 0; i < firmwareReads && (long) i * 512 + 512 <= imageSize; i++) {
      // Firmware and boot loader: 512-byte sectors, strictly one at a time.
      out.add(new IoRequest(fwGap, false, (long) i * 512, 512, 1));
    }
    double meanGap = thinkTime.toNanos() / 1000.0;
    double keep = Math.sqrt(overlap);
    for (long[] read : shared) {
      while (rnd.nextDouble() < writeFraction) {
        int len = Math.min(readSizes.next(rnd), 64 * 1024);
        out.add(new IoRequest(gap(rnd, meanGap), true, randomOffset(rnd, len), len, inFlight));
      }
      long offset = read[0];
      int len = (int) read[1];
      if (rnd.nextDouble() >= keep) offset = randomOffset(rnd, len);
      out.add(new IoRequest(gap(rnd, meanGap), false, offset, len, inFlight));
    }
    return new BootScript("vm" + vm, image, out);
  }

  /** When each of {@code vms} VMs is powered on, in microseconds from the storm's start. */
  public long[] startTimesMicros(int vms) {
    SplittableRandom rnd = new SplittableRandom(seed ^ 0x57a27L);
    long spread = startSpread.toNanos() / 1000;
    long[] starts = new long[vms];
    for (int i = 0; i < vms; i++) starts[i] = spread == 0 ? 0 : (long) (rnd.nextDouble() * spread);
    return starts;
  }

  /** The working set of an image as (offset, length) reads in boot order; the same for every VM. */
  private List<long[]> sharedReads(long imageSeed) {
    SplittableRandom rnd = new SplittableRandom(imageSeed * 0x9E3779B97F4A7C15L + seed);
    long target = workingSetBytes();
    int blocks = (int) ((imageSize + ALIGN - 1) / ALIGN);
    BitSet used = new BitSet(blocks);
    List<long[]> reads = new ArrayList<>();
    long planned = 0;
    long cursor = -1;
    while (planned < target) {
      int len = (int) Math.min(readSizes.next(rnd), roundUp(target - planned));
      len = (int) Math.min(len, imageSize / ALIGN * ALIGN);
      long offset;
      if (cursor >= 0 && rnd.nextDouble() < sequentiality && cursor + len <= imageSize && free(used, cursor, len)) {
        offset = cursor;
      } else {
        offset = freeOffset(rnd, used, len);
      }
      used.set((int) (offset / ALIGN), (int) ((offset + len + ALIGN - 1) / ALIGN));
      reads.add(new long[] {offset, len});
      planned += len;
      cursor = offset + len;
    }
    return reads;
  }

  private long freeOffset(SplittableRandom rnd, BitSet used, int len) {
    long offset = randomOffset(rnd, len);
    for (int tries = 0; tries < 32 && !free(used, offset, len); tries++) offset = randomOffset(rnd, len);
    return offset;
  }

  private static boolean free(BitSet used, long offset, int len) {
    int from = (int) (offset / ALIGN);
    int to = (int) ((offset + len + ALIGN - 1) / ALIGN);
    int next = used.nextSetBit(from);
    return next < 0 || next >= to;
  }

  private long randomOffset(SplittableRandom rnd, int len) {
    long slots = Math.max(1, (imageSize - len) / ALIGN + 1);
    return rnd.nextLong(slots) * ALIGN;
  }

  private static long gap(SplittableRandom rnd, double meanMicros) {
    if (meanMicros <= 0) return 0;
    return (long) (-Math.log(1 - rnd.nextDouble()) * meanMicros);
  }

  private static long roundUp(long v) {
    return (v + ALIGN - 1) / ALIGN * ALIGN;
  }

  private static Duration scale(Duration d, double f) {
    return Duration.ofNanos((long) (d.toNanos() * f));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT,
        "image %s, working set %.1f%% (%s), reads median %s p90 %s max %s, sequentiality %.2f, overlap %.3f, "
            + "writes %.0f%%, %d in flight, think %.2f ms, start spread %.1f s, firmware reads %d",
        io.bootcache.sim.backend.Units.bytes(imageSize), workingSetFraction * 100,
        io.bootcache.sim.backend.Units.bytes(workingSetBytes()),
        io.bootcache.sim.backend.Units.bytes(readSizes.median()), io.bootcache.sim.backend.Units.bytes(readSizes.p90()),
        io.bootcache.sim.backend.Units.bytes(readSizes.max()), sequentiality, overlap, writeFraction * 100, inFlight,
        thinkTime.toNanos() / 1e6, startSpread.toNanos() / 1e9, firmwareReads);
  }

  public static final class Builder {
    private long imageSize = 256L * 1024 * 1024;
    private double workingSetFraction = 0.05;
    private ReadSizes readSizes = new ReadSizes(16 * 1024, 128 * 1024, 1024 * 1024, ALIGN);
    private double sequentiality = 0.5;
    private double overlap = 0.99;
    private double writeFraction = 0.1;
    private int inFlight = 8;
    private Duration thinkTime = Duration.ofMillis(10);
    private Duration startSpread = Duration.ofSeconds(1);
    private int firmwareReads = 0;
    private Duration firmwareThinkTime = Duration.ofNanos(300_000);
    private long seed = 1;

    private Builder() {}

    public Builder imageSize(long v) {
      if (v < ALIGN * 16L || v % 512 != 0) throw new IllegalArgumentException("image size must be a multiple of 512 of at least 64 KiB, got " + v);
      imageSize = v;
      return this;
    }
    public Builder workingSetFraction(double v) { workingSetFraction = fraction(v, "workingSetFraction", false); return this; }
    public Builder readSizes(ReadSizes v) { readSizes = Objects.requireNonNull(v); return this; }
    public Builder sequentiality(double v) { sequentiality = fraction(v, "sequentiality", true); return this; }
    public Builder overlap(double v) { overlap = fraction(v, "overlap", true); return this; }
    public Builder writeFraction(double v) {
      if (v < 0 || v >= 0.95) throw new IllegalArgumentException("writeFraction must be within [0, 0.95), got " + v);
      writeFraction = v;
      return this;
    }
    public Builder inFlight(int v) {
      if (v < 1 || v > 1024) throw new IllegalArgumentException("inFlight must be 1..1024, got " + v);
      inFlight = v;
      return this;
    }
    public Builder thinkTime(Duration v) { thinkTime = nonNegative(v, "thinkTime"); return this; }
    public Builder startSpread(Duration v) { startSpread = nonNegative(v, "startSpread"); return this; }
    public Builder firmwareReads(int v) {
      if (v < 0) throw new IllegalArgumentException("firmwareReads must be >= 0, got " + v);
      firmwareReads = v;
      return this;
    }
    public Builder firmwareThinkTime(Duration v) { firmwareThinkTime = nonNegative(v, "firmwareThinkTime"); return this; }
    public Builder seed(long v) { seed = v; return this; }

    public BootModel build() {
      if (readSizes.max() > imageSize) throw new IllegalArgumentException("largest read " + readSizes.max() + " exceeds the image size " + imageSize);
      return new BootModel(this);
    }

    private static double fraction(double v, String name, boolean zeroOk) {
      if (!(v <= 1) || v < 0 || (!zeroOk && v == 0)) {
        throw new IllegalArgumentException(name + " must be within " + (zeroOk ? "[0, 1]" : "(0, 1]") + ", got " + v);
      }
      return v;
    }

    private static Duration nonNegative(Duration v, String name) {
      if (v == null || v.isNegative()) throw new IllegalArgumentException(name + " must be >= 0, got " + v);
      return v;
    }
  }
}
