package io.bootcache.sim.report;

import io.bootcache.sim.storm.ModeResult;
import io.bootcache.sim.storm.Sample;
import io.bootcache.sim.storm.StormOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The storm's results as JSON: the summary figures of every mode and their time series. */
public final class ResultsJson {
  private ResultsJson() {}

  public static String write(StormOutcome o) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("command", o.command());
    root.put("workload", o.workload());
    root.put("scaling", o.scaling());
    root.put("setup", o.setup());
    root.put("backend_iops_cap", o.iopsCap());
    List<Object> modes = new ArrayList<>();
    for (int i = 0; i < o.modes().size(); i++) modes.add(mode(o.modes().get(i), o.aloneBootMs()[i]));
    root.put("modes", modes);
    return Json.write(root);
  }

  private static Map<String, Object> mode(ModeResult m, double aloneMs) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("mode", m.mode());
    j.put("vms", m.vms());
    j.put("hosts", m.hosts());
    j.put("vm_reads", m.reads());
    j.put("vm_read_bytes", m.readBytes());
    j.put("vm_reads_from_own_overlay", m.localReads());
    j.put("vm_writes", m.writes());
    j.put("unique_bytes", m.uniqueBytes());
    j.put("backend_reads", m.backend().reads());
    j.put("backend_bytes", m.backend().bytes());
    j.put("amplification", m.amplification());
    j.put("peak_backend_iops", m.peakIops());
    j.put("backend_iops_exact_per_second", m.iopsExact());
    j.put("cache_block_hits", m.backend().hits());
    j.put("cache_block_misses", m.backend().misses());
    j.put("cache_hit_ratio", m.hasCache() ? m.hitRatio() : null);
    j.put("cache_region_used_bytes", m.hasCache() ? m.backend().regionUsedBytes() : null);
    j.put("cache_cached_bytes", m.hasCache() ? m.backend().cachedBytes() : null);
    j.put("boot_ms_p50", m.bootPercentile(50));
    j.put("boot_ms_p95", m.bootPercentile(95));
    j.put("boot_ms_max", m.bootMax());
    j.put("alone_boot_ms", aloneMs);
    j.put("slowest_over_alone", m.bootMax() / aloneMs);
    j.put("read_latency_ms_p50", m.readLatencyMs()[0]);
    j.put("read_latency_ms_p99", m.readLatencyMs()[1]);
    j.put("verified_reads", m.verifiedReads());
    j.put("verified_bytes", m.verifiedBytes());
    j.put("mismatches", m.mismatches());
    j.put("first_mismatches", m.firstMismatches());
    j.put("errors", m.errors());
    j.put("first_error", m.firstError());
    j.put("wall_seconds", m.wallSeconds());
    j.put("extra", m.extra());
    j.put("boot_ms", m.bootMs());
    j.put("backend_iops_per_second", m.iopsPerSecond());
    j.put("cache_hit_ratio_per_second", m.hitRatioPerSecond());
    List<Object> samples = new ArrayList<>();
    for (Sample s : m.samples()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("t_s", s.seconds());
      x.put("backend_reads", s.counters().reads());
      x.put("backend_bytes", s.counters().bytes());
      x.put("hits", s.counters().hits());
      x.put("misses", s.counters().misses());
      x.put("vms_done", s.vmsDone());
      x.put("vm_reads", s.reads());
      samples.add(x);
    }
    j.put("samples", samples);
    return j;
  }
}
