package io.bootcache.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.sim.workload.BootModel;
import io.bootcache.sim.workload.BootScript;
import io.bootcache.sim.workload.IoRequest;
import io.bootcache.sim.workload.Presets;
import io.bootcache.sim.workload.ReadSizes;
import io.bootcache.sim.workload.Workload;
import io.bootcache.sim.workload.Workloads;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class BootModelTest {

  private static double percentile(int[] sorted, double p) {
    return sorted[(int) Math.ceil(p / 100 * sorted.length) - 1];
  }

  @Test
  void linuxPresetMatchesTheMeasuredBoot() {
    BootModel linux = Presets.linux();
    BootScript boot = linux.boot(0, 0, 1000);
    long reads = boot.reads();
    assertTrue(reads > 700 && reads < 1400, "about 1,000 reads, got " + reads);
    BitSet blocks = new BitSet();
    boot.readBlocks(blocks, 4096);
    double unique = blocks.cardinality() * 4096.0 / linux.imageSize();
    assertTrue(unique > 0.035 && unique < 0.045, "about 4 % of the image, got " + unique);
    int[] sizes = boot.requests().stream().filter(r -> !r.write()).mapToInt(IoRequest::length).sorted().toArray();
    assertTrue(percentile(sizes, 50) >= 12 * 1024 && percentile(sizes, 50) <= 20 * 1024, "median " + percentile(sizes, 50));
    assertTrue(percentile(sizes, 90) >= 96 * 1024 && percentile(sizes, 90) <= 160 * 1024, "p90 " + percentile(sizes, 90));
    assertTrue(sizes[sizes.length - 1] <= 1024 * 1024);
    double seconds = boot.thinkMicros() / 1e6;
    assertTrue(seconds > 13 && seconds < 22, "about 18 s of think time, got " + seconds);
    assertTrue(boot.requests().stream().allMatch(r -> r.depth() == 14));
    double writes = (double) boot.writes() / boot.requests().size();
    assertTrue(writes > 0.10 && writes < 0.18, "write fraction " + writes);
  }

  @Test
  void bootsOfOneImageOverlapAsConfigured() {
    for (double overlap : new double[] {0.99, 0.8}) {
      BootModel m = Presets.linux().toBuilder().overlap(overlap).build();
      // averaged over a few pairs: reads are few and some are large, so one pair is noisy
      double sum = 0;
      int pairs = 6;
      for (int p = 0; p < pairs; p++) {
        BitSet a = new BitSet();
        BitSet b = new BitSet();
        m.boot(2 * p, 0, 1000).readBlocks(a, 4096);
        m.boot(2 * p + 1, 0, 1000).readBlocks(b, 4096);
        BitSet both = (BitSet) a.clone();
        both.and(b);
        sum += (double) both.cardinality() / a.cardinality();
      }
      double shared = sum / pairs;
      assertTrue(Math.abs(shared - overlap) < 0.05, "overlap " + overlap + " measured " + shared);
    }
  }

  @Test
  void sequentialityAndReadSizesFollowTheirParameters() {
    BootModel m = BootModel.builder().imageSize(512L * 1024 * 1024).workingSetFraction(0.05)
        .readSizes(new ReadSizes(8192, 65536, 262144, 4096)).sequentiality(0.8).writeFraction(0).overlap(1)
        .inFlight(4).thinkTime(Duration.ofMillis(2)).build();
    List<IoRequest> reads = m.boot(0, 0, 5).requests();
    int continued = 0;
    for (int i = 1; i < reads.size(); i++) if (reads.get(i).offset() == reads.get(i - 1).end()) continued++;
    double seq = (double) continued / (reads.size() - 1);
    assertTrue(Math.abs(seq - 0.8) < 0.07, "sequentiality " + seq);
    int[] sizes = reads.stream().mapToInt(IoRequest::length).sorted().toArray();
    assertTrue(percentile(sizes, 50) >= 8192 && percentile(sizes, 50) <= 12288, Arrays.toString(Arrays.copyOf(sizes, 5)));
    double meanGapMs = reads.stream().mapToLong(IoRequest::gapMicros).average().orElse(0) / 1000;
    assertTrue(Math.abs(meanGapMs - 2) < 0.3, "think time " + meanGapMs);
  }

  @Test
  void scalingShrinksSizesAndTimesAndIsDeterministic() {
    BootModel full = Presets.linux();
    BootModel small = full.scaled(0.1, 0.5);
    assertEquals(full.imageSize() / 10 / 4096 * 4096, small.imageSize());
    assertEquals(full.thinkTime().toNanos() / 2, small.thinkTime().toNanos());
    assertEquals(small.boot(3, 0, 1000).requests(), small.boot(3, 0, 1000).requests());
    Workload w = Workloads.synthetic(small, 10, 2, "img", "t");
    assertEquals(10, w.vms().size());
    assertEquals(1, w.vms().get(3).image());
    for (long s : w.startMicros()) assertTrue(s >= 0 && s <= small.startSpread().toNanos() / 1000);
    // two images, each read by five VMs sharing 99 %: the union is a bit over twice one working set
    long unique = w.uniqueReadBytes(4096);
    assertTrue(unique > 2 * small.workingSetBytes() * 0.95 && unique < 2 * small.workingSetBytes() * 1.2, "unique " + unique);
  }

  @Test
  void firmwareReadsAreSectorsOneAtATime() {
    BootModel m = Presets.linux().toBuilder().firmwareReads(100).build();
    List<IoRequest> r = m.boot(0, 0, 1).requests();
    for (int i = 0; i < 100; i++) {
      assertEquals(512, r.get(i).length());
      assertEquals(1, r.get(i).depth());
    }
    assertEquals(14, r.get(100).depth());
  }

  @Test
  void badParametersAreRefusedWithTheirName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BootModel.builder().overlap(1.5));
    assertTrue(e.getMessage().contains("overlap"));
    assertThrows(IllegalArgumentException.class, () -> BootModel.builder().inFlight(0));
    assertThrows(IllegalArgumentException.class, () -> new ReadSizes(16384, 8192, 65536, 4096));
    assertThrows(IllegalArgumentException.class, () -> Presets.named("solaris"));
  }
}
