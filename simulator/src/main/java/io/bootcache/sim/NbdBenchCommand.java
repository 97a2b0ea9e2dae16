package io.bootcache.sim;

import io.bootcache.nbd.client.NbdAddress;
import io.bootcache.sim.nbd.NbdBench;
import io.bootcache.sim.nbd.NbdBenchReport;
import io.bootcache.sim.nbd.NbdBenchResult;
import io.bootcache.sim.nbd.ProcessCpu;
import io.bootcache.sim.report.Json;
import io.bootcache.sim.workload.Workload;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code nbd-bench}: boot-shaped reads against any NBD server, timed, with the server processes' CPU time. */
@Command(name = "nbd-bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Replays the reads of boots (a preset's or a trace's) against any NBD server, as fast as it answers: "
        + "one connection per client, each replaying its own boot with reads in flight, answers matched by handle. "
        + "Prints reads, bytes, wall time, reads/s, MiB/s, latency p50/p90/p99/max and, given their PIDs, "
        + "the CPU seconds the server processes used during the timed passes, per GiB served.",
        "URL: nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH"})
final class NbdBenchCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;
  @Parameters(paramLabel = "URL", arity = "1..*",
      description = "the export to read; with several (the nodes of a cluster, say), client i reads from URL i mod n")
  List<String> urls;
  @Mixin
  BootReadOptions boots;
  @Option(names = "--clients", defaultValue = "1", description = "connections at once; client i replays boot i (default ${DEFAULT-VALUE})")
  int clients;
  @Option(names = "--in-flight", description = "reads in flight per connection (default: as the boot: firmware reads 1, then up to 14)")
  Integer inFlight;
  @Option(names = "--passes", defaultValue = "1", description = "timed replays of each boot (default ${DEFAULT-VALUE})")
  int passes;
  @Option(names = "--warmup-passes", defaultValue = "0", description = "untimed replays first, on the same connections (default ${DEFAULT-VALUE})")
  int warmupPasses;
  @Option(names = "--verify", paramLabel = "FILE", description = "check every byte of the timed reads against this file")
  Path verify;
  @Option(names = "--pid", split = Lists.COMMAS, splitSynopsisLabel = ",", paramLabel = "[NAME=]PID", description = "a server process whose CPU time to count; repeat or comma-separate")
  List<String> pids = new ArrayList<>();
  @Option(names = "--replies", defaultValue = "structured", description = "structured (if the server offers them) or simple (default ${DEFAULT-VALUE})")
  String replies;
  @Option(names = "--label", description = "a name for this run in the output (default: the URL)")
  String label;
  @Option(names = "--json", paramLabel = "FILE", description = "write the figures as JSON here")
  Path json;

  @Override
  public Integer call() throws Exception {
    List<NbdAddress> addresses = urls.stream().map(NbdAddress::parse).toList();
    if (clients < 1) throw new IllegalArgumentException("--clients must be at least 1, got " + clients);
    if (inFlight != null && inFlight < 1) throw new IllegalArgumentException("--in-flight must be at least 1, got " + inFlight);
    if (!replies.equals("structured") && !replies.equals("simple")) {
      throw new IllegalArgumentException("--replies must be structured or simple, got '" + replies + "'");
    }
    if (verify != null && !Files.isRegularFile(verify)) throw new IllegalArgumentException("--verify: no such file " + verify);
    List<ProcessCpu> servers = pids.stream().map(ProcessCpu::parse).toList();
    Workload workload = boots.workload(clients);
    NbdBench.Settings settings = new NbdBench.Settings(addresses, workload.vms(), inFlight == null ? 0 : inFlight, passes,
        warmupPasses, replies.equals("structured"), verify, servers);
    NbdBenchResult result;
    try {
      result = NbdBench.run(settings);
    } catch (IOException e) {
      spec.commandLine().getErr().println("nbd-bench: " + e.getMessage());
      return 1;
    }
    String name = label == null ? "nbd-bench" : label;
    PrintWriter out = spec.commandLine().getOut();
    out.print(NbdBenchReport.text(name, workload.description(), result));
    if (json != null) {
      Files.writeString(json, Json.write(NbdBenchReport.json(name, workload.description(), result)));
      out.println("JSON: " + json.toAbsolutePath());
    }
    out.flush();
    return result.errors() > 0 ? 1 : 0;
  }
}
