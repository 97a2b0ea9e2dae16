package io.bootcache.sim.storm;

import io.bootcache.sim.workload.BootScript;
import io.bootcache.sim.workload.ImageSpec;
import io.bootcache.sim.workload.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs one storm in one mode: powers every VM on at its start time on its host (VM i on host
 * i mod hosts), plays their boots, samples the backend's counters every second, and measures.
 */
public final class StormRunner {
  public static final int BLOCK = 4096;
  private final int hosts;
  private final Duration timeout;
  private final Progress progress;

  public StormRunner(int hosts, Duration timeout, Progress progress) {
    if (hosts < 1) throw new IllegalArgumentException("need at least one host, got " + hosts);
    this.hosts = hosts;
    this.timeout = timeout;
    this.progress = progress;
  }

  public ModeResult run(StormMode mode, Workload workload, List<Path> imageFiles, Supplier<Map<String, Long>> extra)
      throws Exception {
    int vms = workload.vms().size();
    Tally tally = new Tally(workload.images().size(), vms, BLOCK);
    CountDownLatch done = new CountDownLatch(vms);
    ScheduledExecutorService timer = Executors.newScheduledThreadPool(1, daemon("storm-timer"));
    ExecutorService work = Executors.newFixedThreadPool(2, daemon("storm-vm"));
    // opening a disk (StartBoot) and ending a boot (flushing its recorder, EndBoot) block: their own
    // pools, so that a VM powering on never waits behind others' boots ending
    ExecutorService opens = Executors.newFixedThreadPool(16, daemon("storm-open"));
    ExecutorService sessions = Executors.newFixedThreadPool(16, daemon("storm-close"));
    List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    try (Verifier verifier = new Verifier(imageFiles)) {
      long totalReads = workload.totalReads();
      long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      mode.startCounting(t0);
      BackendCounters before = mode.counters();
      samples.add(new Sample(0, BackendCounters.ZERO, 0, 0));
      ScheduledFuture<?> sampler = timer.scheduleAtFixedRate(
          () -> samples.add(sample(mode, before, tally, t0)), t0 + 1_000_000_000L - System.nanoTime(),
          1_000_000_000L, TimeUnit.NANOSECONDS);
      for (int v = 0; v < vms; v++) {
        BootScript script = workload.vms().get(v);
        VmRunner runner = new VmRunner(v, v % hosts, script, mode, verifier, tally, timer, work, sessions, done);
        long powerOn = t0 + workload.startMicros()[v] * 1000;
        timer.schedule(() -> opens.execute(() -> runner.start(powerOn)), powerOn - System.nanoTime(), TimeUnit.NANOSECONDS);
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.await(250, TimeUnit.MILLISECONDS)) {
        progress.update(mode.name(), tally.vmsDone.get(), vms, tally.reads.sum(), totalReads, (System.nanoTime() - t0) / 1e9);
        if (System.nanoTime() > deadline) {
          throw new TimeoutException(mode.name() + ": the storm did not finish within " + timeout.toSeconds() + " s ("
              + tally.vmsDone.get() + " of " + vms + " VMs booted); raise --timeout or shrink the storm");
        }
      }
      double wall = (System.nanoTime() - t0) / 1e9;
      sampler.cancel(false);
      Sample last = sample(mode, before, tally, t0);
      samples.add(last);
      BackendCounters backend = last.counters();
      long[] exact = mode.exactReadsPerSecond();
      long[] iops = exact != null ? exact : perSecond(samples);
      progress.finish(String.format(java.util.Locale.ROOT, "%s: %d VMs booted in %.1f s, %d reads, %d backend reads",
          mode.name(), vms, wall, tally.reads.sum(), backend.reads()));
      Map<String, Long> extras = new LinkedHashMap<>(extra == null ? Map.of() : extra.get());
      return new ModeResult(mode.name(), vms, hosts, tally.bootMs(), tally.reads.sum(), tally.readBytes.sum(),
          tally.localReads.sum(), tally.writes.sum(), tally.errors.sum(), tally.firstError(), verifier.verifiedReads(),
          verifier.verifiedBytes(), verifier.mismatches(), verifier.firstMismatches(),
          tally.uniqueBytes(workload.images().stream().map(ImageSpec::size).toList()), backend, iops, exact != null,
          hitRatios(samples), latencyPercentiles(tally.latencies()), wall, List.copyOf(samples), extras);
    } finally {
      timer.shutdownNow();
      work.shutdownNow();
      opens.shutdown();
      sessions.shutdown();
      sessions.awaitTermination(30, TimeUnit.SECONDS);
    }
  }

  private static Sample sample(StormMode mode, BackendCounters before, Tally tally, long t0) {
    return new Sample((System.nanoTime() - t0) / 1e9, mode.counters().minus(before), tally.vmsDone.get(), tally.reads.sum());
  }

  /** Backend reads per second from counters sampled about once a second. */
  static long[] perSecond(List<Sample> samples) {
    List<Sample> s = new ArrayList<>(samples);
    long[] out = new long[Math.max(0, s.size() - 1)];
    for (int i = 1; i < s.size(); i++) {
      long reads = s.get(i).counters().reads() - s.get(i - 1).counters().reads();
      // counted, not scaled: the last interval is usually shorter than a second
      out[i - 1] = reads;
    }
    return out;
  }

  static double[] hitRatios(List<Sample> samples) {
    List<Sample> s = new ArrayList<>(samples);
    double[] out = new double[Math.max(0, s.size() - 1)];
    for (int i = 1; i < s.size(); i++) {
      long hits = s.get(i).counters().hits() - s.get(i - 1).counters().hits();
      long misses = s.get(i).counters().misses() - s.get(i - 1).counters().misses();
      out[i - 1] = hits + misses == 0 ? Double.NaN : (double) hits / (hits + misses);
    }
    return out;
  }

  private static double[] latencyPercentiles(long[] nanos) {
    return new double[] {Stats.percentile(nanos, 50) / 1e6, Stats.percentile(nanos, 99) / 1e6};
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
