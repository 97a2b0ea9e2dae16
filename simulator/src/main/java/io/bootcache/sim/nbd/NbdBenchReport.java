package io.bootcache.sim.nbd;

import io.bootcache.sim.backend.Units;
import io.bootcache.sim.report.Tables;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** An NBD benchmark run as a text table and as a JSON-ready map, with a label and what was replayed. */
public final class NbdBenchReport {
  private NbdBenchReport() {}

  public static String text(String label, String workload, NbdBenchResult r) {
    StringBuilder out = new StringBuilder();
    out.append(label).append(": ").append(r.address()).append(", export ").append(Units.bytes(r.exportSize()))
        .append(r.structuredReplies() ? ", structured replies" : ", simple replies").append('\n');
    out.append("reads: ").append(workload).append('\n');
    out.append(f("%d connection(s), %s, %d timed pass(es); %d write(s) skipped%s%n", r.connections(),
        r.inFlight() == 0 ? "reads in flight as the boot keeps them" : r.inFlight() + " read(s) in flight each", r.passes(),
        r.writesSkipped(), r.verifiedReads() > 0 ? "; " + r.verifiedReads() + " reads verified against the file" : ""));
    List<List<String>> figures = new ArrayList<>();
    figures.add(List.of("reads", "bytes", "wall s", "reads/s", "MiB/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"));
    figures.add(List.of(Long.toString(r.reads()), Units.bytes(r.bytes()), f("%.3f", r.wallSeconds()), f("%.0f", r.readsPerSecond()),
        f("%.1f", r.mibPerSecond()), f("%.3f", r.p50Ms()), f("%.3f", r.p90Ms()), f("%.3f", r.p99Ms()), f("%.3f", r.maxMs()),
        Long.toString(r.errors())));
    out.append('\n').append(Tables.text(figures));
    List<List<String>> cpu = new ArrayList<>();
    cpu.add(List.of("process", "pid", "CPU s", "CPU s/GiB"));
    for (NbdBenchResult.ProcessTime p : r.servers()) {
      cpu.add(List.of(p.name(), Long.toString(p.pid()), f("%.2f", p.cpuSeconds()), f("%.2f", r.perGib(p.cpuSeconds()))));
    }
    if (!r.servers().isEmpty()) {
      cpu.add(List.of("all servers", "", f("%.2f", r.serverCpuSeconds()), f("%.2f", r.perGib(r.serverCpuSeconds()))));
    }
    cpu.add(List.of("nbd-bench (this JVM)", Long.toString(ProcessHandle.current().pid()), f("%.2f", r.clientCpuSeconds()),
        f("%.2f", r.perGib(r.clientCpuSeconds()))));
    out.append('\n').append(Tables.text(cpu));
    if (r.firstError() != null) out.append("\nFAILED: ").append(r.errors()).append(" error(s); first: ").append(r.firstError()).append('\n');
    return out.toString();
  }

  public static Map<String, Object> json(String label, String workload, NbdBenchResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("label", label);
    m.put("url", r.address());
    m.put("workload", workload);
    m.put("export_size", r.exportSize());
    m.put("structured_replies", r.structuredReplies());
    m.put("connections", r.connections());
    m.put("in_flight", r.inFlight() == 0 ? "boot" : r.inFlight());
    m.put("passes", r.passes());
    m.put("reads", r.reads());
    m.put("bytes", r.bytes());
    m.put("writes_skipped", r.writesSkipped());
    m.put("verified_reads", r.verifiedReads());
    m.put("errors", r.errors());
    m.put("first_error", r.firstError());
    m.put("wall_seconds", r.wallSeconds());
    m.put("reads_per_second", r.readsPerSecond());
    m.put("mib_per_second", r.mibPerSecond());
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("p50", r.p50Ms());
    latency.put("p90", r.p90Ms());
    latency.put("p99", r.p99Ms());
    latency.put("max", r.maxMs());
    m.put("latency_ms", latency);
    List<Object> servers = new ArrayList<>();
    for (NbdBenchResult.ProcessTime p : r.servers()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("name", p.name());
      s.put("pid", p.pid());
      s.put("cpu_seconds", p.cpuSeconds());
      s.put("cpu_seconds_per_gib", r.perGib(p.cpuSeconds()));
      servers.add(s);
    }
    m.put("servers", servers);
    m.put("server_cpu_seconds", r.serverCpuSeconds());
    m.put("server_cpu_seconds_per_gib", r.perGib(r.serverCpuSeconds()));
    m.put("client_cpu_seconds", r.clientCpuSeconds());
    return m;
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
