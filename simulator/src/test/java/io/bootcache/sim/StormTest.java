package io.bootcache.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.sim.backend.Throttle;
import io.bootcache.sim.report.HtmlReport;
import io.bootcache.sim.report.ResultsJson;
import io.bootcache.sim.report.Tables;
import io.bootcache.sim.storm.ModeResult;
import io.bootcache.sim.storm.Progress;
import io.bootcache.sim.storm.Sample;
import io.bootcache.sim.storm.Storm;
import io.bootcache.sim.storm.StormOutcome;
import io.bootcache.sim.storm.StormSettings;
import io.bootcache.sim.workload.BootModel;
import io.bootcache.sim.workload.ReadSizes;
import io.bootcache.sim.workload.Workload;
import io.bootcache.sim.workload.Workloads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small storm, end to end: 10 VMs on 2 hosts from a 24 MiB image, straight from the throttled
 * backend and through a real two-node cluster started in this JVM.
 */
class StormTest {
  private static final long IOPS_CAP = 300;
  private static final int HOSTS = 2;

  /** The VMs read through their host node's NBD (as QEMU does), or through the client library over gRPC. */
  @ParameterizedTest(name = "via gRPC: {0}")
  @ValueSource(booleans = {false, true})
  void smallStormReadsTrueBytesStaysUnderTheCapAndReadsTheBackendOnceThroughTheCache(boolean viaGrpc, @TempDir Path dir)
      throws Exception {
    BootModel model = BootModel.builder()
        .imageSize(24L * 1024 * 1024)
        .workingSetFraction(0.2)
        .readSizes(new ReadSizes(16 * 1024, 128 * 1024, 512 * 1024, 4096))
        .sequentiality(0.6)
        .overlap(0.95)
        .writeFraction(0.1)
        .inFlight(8)
        .thinkTime(Duration.ofMillis(2))
        .startSpread(Duration.ofMillis(500))
        .build();
    Workload w = Workloads.synthetic(model, 10, 1, "stormtest-", "small test storm");
    StormSettings settings = new StormSettings(w, "StormTest", "none", new Throttle(IOPS_CAP, 0, Duration.ofMillis(1)),
        HOSTS, List.of(), 64L * 1024 * 1024, 1, 0.1, dir, true, true, false, true, true, viaGrpc, Duration.ofMinutes(5));
    StormOutcome o = new Storm(settings, Progress.NONE).run();
    System.out.println(Tables.text(o));
    assertEquals(2, o.modes().size());
    ModeResult direct = o.modes().get(0);
    ModeResult cached = o.modes().get(1);

    for (ModeResult m : o.modes()) {
      // every byte a VM read was compared with the image file, and all matched
      assertEquals(0, m.errors(), m.mode() + ": " + m.firstError());
      assertEquals(0, m.mismatches(), m.mode() + ": " + m.firstMismatches());
      assertTrue(m.reads() > 500, m.mode() + " reads " + m.reads());
      assertEquals(m.readBytes(), m.verifiedBytes(), m.mode());
      assertEquals(m.reads(), m.verifiedReads(), m.mode());
      assertTrue(Arrays.stream(m.bootMs()).noneMatch(Double::isNaN), m.mode() + ": every VM booted");
    }

    // without a cache every VM reads its own boot data from the backend
    assertEquals(direct.reads(), direct.backend().reads());
    assertTrue(direct.amplification() > 5, "no-cache amplification " + direct.amplification());

    // with bootcache, a cold storm reads the working set from the backend about once
    assertTrue(cached.amplification() <= 1.05, "cold amplification " + cached.amplification());
    assertTrue(cached.backend().bytes() > 0);
    assertTrue(cached.hitRatio() > 0.3, "hit ratio " + cached.hitRatio());
    assertEquals(0L, cached.extra().get("client_fallback_reads"), "clients never had to fall back");

    // backend IOPS never exceed the cap: the throttled reader's own per-second buckets...
    assertTrue(direct.iopsExact());
    long[] perSecond = direct.iopsPerSecond();
    assertTrue(perSecond.length >= 2, "the capped storm lasted more than a second: " + Arrays.toString(perSecond));
    for (long n : perSecond) assertTrue(n <= IOPS_CAP, "no-cache IOPS " + Arrays.toString(perSecond));
    // ...and the nodes' backend read counters (read from the in-process nodes' metrics, all at one
    // instant), sampled about once a second: within each sampled interval, at most the cap times
    // its length, plus one read per node whose slot straddles the interval's start
    List<Sample> samples = cached.samples();
    for (int i = 1; i < samples.size(); i++) {
      double dt = samples.get(i).seconds() - samples.get(i - 1).seconds();
      long reads = samples.get(i).counters().reads() - samples.get(i - 1).counters().reads();
      assertTrue(reads <= Math.ceil(IOPS_CAP * dt) + HOSTS, "nodes read " + reads + " times in " + dt + " s");
    }

    // the storm-versus-alone figures exist for both modes
    for (double a : o.aloneBootMs()) assertTrue(a > 0, "alone boot " + a);

    String json = ResultsJson.write(o);
    assertTrue(json.contains("\"amplification\""));
    String html = HtmlReport.render(o);
    assertTrue(html.contains("<svg") && html.contains("Boot time CDF") && html.contains("Backend IOPS over time"));
    assertFalse(html.contains("<script src") || html.contains("<link"), "the report loads nothing from outside");
  }
}
