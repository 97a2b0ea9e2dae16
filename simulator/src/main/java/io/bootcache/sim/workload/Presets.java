package io.bootcache.sim.workload;

import java.time.Duration;
import java.util.Locale;

/** Boot models fitted to measured boots (DESIGN.md, "What a boot looks like (measured)"). */
public final class Presets {
  private static final long MIB = 1024L * 1024;
  private static final long GIB = 1024 * MIB;

  private Presets() {}

  /**
   * Debian 12 from a 1 GiB raw image: about 4 % of it read, about 1,000 reads over about 18 s,
   * median 16 KiB, p90 128 KiB, up to 14 in flight, 99 % of blocks shared between boots, about
   * 160 writes.
   */
  public static BootModel linux() {
    return BootModel.builder()
        .imageSize(GIB)
        .workingSetFraction(0.04)
        .readSizes(new ReadSizes(16 * 1024, 128 * 1024, 1024 * 1024, 4096))
        .sequentiality(0.6)
        .overlap(0.99)
        .writeFraction(0.14)
        .inFlight(14)
        // about 1,160 requests over 18 s
        .thinkTime(Duration.ofMillis(15))
        .startSpread(Duration.ofSeconds(5))
        .build();
  }

  /** A Windows desktop: about 550 MB read in about 70,000 I/Os over 2-3 minutes, from a 32 GiB image. */
  public static BootModel windows() {
    return BootModel.builder()
        .imageSize(32 * GIB)
        .workingSetFraction(550.0 * 1_000_000 / (32 * GIB))
        // mean about 8 KiB: 550 MB / 70,000
        .readSizes(new ReadSizes(4096, 16 * 1024, 1024 * 1024, 4096))
        .sequentiality(0.5)
        .overlap(0.97)
        .writeFraction(0.2)
        .inFlight(32)
        // about 80,000 requests over 150 s
        .thinkTime(Duration.ofNanos(1_900_000))
        .startSpread(Duration.ofSeconds(10))
        .build();
  }

  public static BootModel named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "linux" -> linux();
      case "windows" -> windows();
      default -> throw new IllegalArgumentException("unknown preset '" + name + "' (known: linux, windows)");
    };
  }
}
