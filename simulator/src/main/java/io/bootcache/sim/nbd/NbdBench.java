package io.bootcache.sim.nbd;

import io.bootcache.nbd.client.NbdAddress;
import io.bootcache.nbd.client.NbdConnection;
import io.bootcache.sim.storm.Stats;
import io.bootcache.sim.storm.Verifier;
import io.bootcache.sim.workload.BootScript;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

/**
 * One run of the NBD benchmark: a connection per boot, all replaying their boots' reads at once,
 * first untimed (warm-up passes), then timed, with the CPU time of the server processes (and of
 * this JVM) read just before and just after the timed passes.
 */
public final class NbdBench {
  /** What to run; {@code inFlight} 0 keeps each read's depth in its boot; {@code verifyFile} may be null. */
  public record Settings(List<NbdAddress> addresses, List<BootScript> boots, int inFlight, int passes, int warmupPasses,
      boolean structuredReplies, Path verifyFile, List<ProcessCpu> servers) {
    public Settings {
      if (addresses.isEmpty()) throw new IllegalArgumentException("at least one NBD address is needed");
      if (boots.isEmpty()) throw new IllegalArgumentException("at least one boot (connection) is needed");
      addresses = List.copyOf(addresses);
      if (inFlight < 0) throw new IllegalArgumentException("reads in flight must be 0 (as the boot) or more, got " + inFlight);
      if (passes < 1) throw new IllegalArgumentException("passes must be at least 1, got " + passes);
      if (warmupPasses < 0) throw new IllegalArgumentException("warm-up passes must not be negative, got " + warmupPasses);
      boots = List.copyOf(boots);
      servers = List.copyOf(servers);
    }
  }

  private NbdBench() {}

  public static NbdBenchResult run(Settings s) throws IOException, InterruptedException {
    List<NbdConnection> connections = new ArrayList<>();
    try (Verifier verifier = s.verifyFile() == null ? null : new Verifier(List.of(s.verifyFile()))) {
      for (int i = 0; i < s.boots().size(); i++) {
        connections.add(NbdConnection.open(s.addresses().get(i % s.addresses().size()), s.structuredReplies()));
      }
      NbdConnection first = connections.get(0);
      for (BootScript boot : s.boots()) {
        if (boot.maxEnd() > first.size()) {
          throw new IllegalArgumentException(boot.name() + " reads up to byte " + boot.maxEnd() + " but the export " + s.addresses().get(0)
              + " has " + first.size() + " bytes: serve a larger file, or shrink the boot (--scale)");
        }
      }
      if (s.warmupPasses() > 0) replayAll(replays(s, connections, null), s.warmupPasses());

      List<BootReplay> replays = replays(s, connections, verifier);
      ProcessCpu self = ProcessCpu.self();
      double[] serversBefore = cpuSeconds(s.servers());
      double selfBefore = self.seconds();
      long started = System.nanoTime();
      replayAll(replays, s.passes());
      double wall = (System.nanoTime() - started) / 1e9;
      double[] serversAfter = cpuSeconds(s.servers());
      double selfAfter = self.seconds();

      List<NbdBenchResult.ProcessTime> servers = new ArrayList<>();
      for (int i = 0; i < s.servers().size(); i++) {
        ProcessCpu p = s.servers().get(i);
        servers.add(new NbdBenchResult.ProcessTime(p.name(), p.pid(), serversAfter[i] - serversBefore[i]));
      }
      long[] latencies = replays.stream().flatMapToLong(r -> LongStream.of(r.latencies())).toArray();
      String target = s.addresses().size() == 1 ? s.addresses().get(0).toString() : s.addresses().toString();
      return new NbdBenchResult(target, first.size(), first.structuredReplies(), s.boots().size(),
          s.inFlight(), s.passes(), latencies.length, replays.stream().mapToLong(BootReplay::bytes).sum(),
          replays.stream().mapToLong(r -> r.writesPerPass() * s.passes()).sum(),
          replays.stream().mapToLong(BootReplay::errors).sum(),
          replays.stream().map(BootReplay::firstError).filter(e -> e != null).findFirst().orElse(null),
          verifier == null ? 0 : verifier.verifiedReads(), wall,
          percentileMs(latencies, 50), percentileMs(latencies, 90), percentileMs(latencies, 99), percentileMs(latencies, 100),
          servers, selfAfter - selfBefore);
    } finally {
      for (NbdConnection c : connections) c.close();
    }
  }

  private static List<BootReplay> replays(Settings s, List<NbdConnection> connections, Verifier verifier) {
    List<BootReplay> replays = new ArrayList<>();
    for (int i = 0; i < connections.size(); i++) replays.add(new BootReplay(connections.get(i), s.boots().get(i), s.inFlight(), verifier));
    return replays;
  }

  /** Runs every replay on a thread of its own and waits for all. */
  private static void replayAll(List<BootReplay> replays, int passes) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    InterruptedException[] interrupted = new InterruptedException[1];
    for (BootReplay r : replays) {
      Thread t = new Thread(() -> {
        try {
          r.run(passes);
        } catch (InterruptedException e) {
          interrupted[0] = e;
        }
      }, "replay");
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) t.join();
    if (interrupted[0] != null) throw interrupted[0];
  }

  private static double[] cpuSeconds(List<ProcessCpu> processes) {
    return processes.stream().mapToDouble(ProcessCpu::seconds).toArray();
  }

  private static double percentileMs(long[] nanos, double p) {
    return Stats.percentile(nanos, p) / 1e6;
  }
}
