package io.bootcache.sim;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Recorder;
import io.bootcache.client.Target;
import io.bootcache.node.LocalCluster;
import io.bootcache.sim.backend.ImageContent;
import io.bootcache.sim.backend.Units;
import io.bootcache.sim.bench.FetchBench;
import io.bootcache.sim.bench.RedisBench;
import io.bootcache.sim.report.Json;
import io.bootcache.sim.report.Tables;
import io.bootcache.v1.Stats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: one node on loopback. Fills it with distinct blocks, reports region bytes per
 * cached byte, then measures warm fetches (4 KiB blocks, 128 KiB ranges) at several concurrencies
 * through the client's async read path, next to redis-server GETs of 4 KiB values when Redis is installed.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Fetch throughput and latency of one node (warm), region bytes per cached byte, and Redis as a yardstick.")
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--nodes", split = Lists.COMMAS, splitSynopsisLabel = ",", description = "an external node h:p (default: one node started in-process)")
  List<String> nodes = new ArrayList<>();
  @Option(names = "--duration", defaultValue = "5", description = "seconds measured per cell (default ${DEFAULT-VALUE})")
  double duration;
  @Option(names = "--warmup", defaultValue = "1", description = "seconds of warm-up per cell (default ${DEFAULT-VALUE})")
  double warmup;
  @Option(names = "--concurrency", split = Lists.COMMAS, splitSynopsisLabel = ",", defaultValue = "1,16,64", description = "requests in flight (default ${DEFAULT-VALUE})")
  List<Integer> concurrency;
  @Option(names = "--fill", defaultValue = "64MiB", description = "distinct bytes cached before measuring (default ${DEFAULT-VALUE})")
  String fill;
  @Option(names = "--cache-region", defaultValue = "256MiB", description = "blocks region of the in-process node (default ${DEFAULT-VALUE})")
  String cacheRegion;
  @Option(names = "--host-memory", defaultValue = "256MiB", description = "host tier of the in-process node (default ${DEFAULT-VALUE})")
  String hostMemory;
  @Option(names = "--streams", defaultValue = "2", description = "client FetchStreams per node (default ${DEFAULT-VALUE})")
  int streams;
  @Option(names = "--no-redis", description = "skip the Redis comparison")
  boolean noRedis;
  @Option(names = "--json", description = "write the results as JSON here")
  Path json;

  @Override
  public Integer call() throws Exception {
    long fillBytes = Units.parseBytes(fill) / (128 * 1024) * (128 * 1024);
    if (fillBytes < 1024 * 1024) throw new IllegalArgumentException("--fill must be at least 1 MiB");
    if (duration <= 0 || warmup < 0) throw new IllegalArgumentException("--duration must be positive and --warmup not negative");
    Path dir = Files.createTempDirectory("bootcache-bench-");
    LocalCluster local = null;
    try {
      List<String> addresses = nodes;
      if (addresses.isEmpty()) {
        local = LocalCluster.builder().nodes(1).dataDir(dir.resolve("node"))
            .configure(b -> b.blocksRegionBytes(Units.parseBytes(cacheRegion)).hostTierBytes(Units.parseBytes(hostMemory)))
            .start();
        addresses = local.grpcAddresses();
        System.out.println("node: in-process, " + addresses.get(0) + ", blocks region " + cacheRegion + ", host tier " + hostMemory);
      } else {
        System.out.println("node: " + addresses.get(0) + " (external)");
      }
      Path image = dir.resolve("bench.raw");
      new ImageContent(System.nanoTime(), 0).write(image, fillBytes, null);
      String id = "bench-" + Long.toString(System.currentTimeMillis(), 36);
      Map<String, Object> results = new LinkedHashMap<>();
      try (BootCacheClient client = BootCacheClient.builder().node(addresses.get(0)).streamsPerNode(streams)
          .deadline(Duration.ofSeconds(10)).build()) {
        client.registerImage(id, image.toAbsolutePath().toString(), 4096);
        Target target = Target.image(id);
        Stats before = client.stats();
        fillCache(client, target, fillBytes);
        Stats after = admitted(client, before.getCachedBytes() + fillBytes);
        long cached = after.getCachedBytes() - before.getCachedBytes();
        long region = after.getRegionUsedBytes() - before.getRegionUsedBytes();
        System.out.printf(Locale.ROOT, "filled %s of distinct blocks: cached %s, data region grew by %s: %.3f region bytes per cached byte"
            + " (whole region: %s used for %s cached, %.3f)%n", Units.bytes(fillBytes), Units.bytes(cached), Units.bytes(region),
            (double) region / cached, Units.bytes(after.getRegionUsedBytes()), Units.bytes(after.getCachedBytes()),
            (double) after.getRegionUsedBytes() / after.getCachedBytes());
        results.put("fill_bytes", fillBytes);
        results.put("cached_bytes", after.getCachedBytes());
        results.put("region_used_bytes", after.getRegionUsedBytes());
        results.put("region_bytes_per_cached_byte", (double) after.getRegionUsedBytes() / after.getCachedBytes());

        FetchBench bench = new FetchBench(client, target, fillBytes);
        Duration warm = Duration.ofNanos((long) (warmup * 1e9));
        Duration measure = Duration.ofNanos((long) (duration * 1e9));
        List<List<String>> table = new ArrayList<>();
        table.add(List.of("reads", "in flight", "ops/s", "MiB/s", "p50 ms", "p99 ms", "errors", "redis GET 4 KiB ops/s", "ratio"));
        List<Object> cells = new ArrayList<>();
        Map<Integer, RedisBench.Result> redis = noRedis ? Map.of() : redis();
        for (int size : new int[] {4096, 128 * 1024}) {
          for (int c : concurrency) {
            System.err.printf(Locale.ROOT, "measuring %s reads, %d in flight...%n", Units.bytes(size), c);
            FetchBench.Result r = bench.run(size, c, warm, measure);
            RedisBench.Result rr = size == 4096 ? redis.get(c) : null;
            table.add(List.of(Units.bytes(size), Integer.toString(c), f("%.0f", r.opsPerSecond()),
                f("%.1f", r.opsPerSecond() * size / (1024.0 * 1024)), f("%.3f", r.p50Ms()), f("%.3f", r.p99Ms()),
                Long.toString(r.errors()), rr == null ? "-" : f("%.0f", rr.opsPerSecond()),
                rr == null ? "-" : f("%.2fx", r.opsPerSecond() / rr.opsPerSecond())));
            Map<String, Object> cell = new LinkedHashMap<>();
            cell.put("size", size);
            cell.put("concurrency", c);
            cell.put("ops_per_second", r.opsPerSecond());
            cell.put("p50_ms", r.p50Ms());
            cell.put("p99_ms", r.p99Ms());
            cell.put("errors", r.errors());
            if (rr != null) {
              cell.put("redis_get_ops_per_second", rr.opsPerSecond());
              cell.put("redis_get_p50_ms", rr.p50Ms());
            }
            cells.add(cell);
          }
        }
        results.put("cells", cells);
        System.out.println();
        System.out.print(Tables.text(table));
        System.out.printf(Locale.ROOT, "%ntargets: 4 KiB ops/s at least Redis GET at the same concurrency; at most 1.15 region bytes per cached byte%n");
      }
      if (json != null) {
        Files.writeString(json, Json.write(results));
        System.out.println("JSON: " + json.toAbsolutePath());
      }
      return 0;
    } finally {
      if (local != null) local.close();
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Reads the whole image in a boot session, so every block is admitted into the cache. */
  private static void fillCache(BootCacheClient client, Target target, long bytes) {
    Recorder rec = client.startBoot(target, "bench");
    int chunk = 1024 * 1024;
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    for (long off = 0; off < bytes; off += chunk) {
      int len = (int) Math.min(chunk, bytes - off);
      inFlight.add(client.read(target, off, len, rec.sessionId()));
      if (inFlight.size() == 8) {
        inFlight.forEach(CompletableFuture::join);
        inFlight.clear();
      }
    }
    inFlight.forEach(CompletableFuture::join);
    rec.close();
  }

  /** The node's stats once the filled blocks are all in the cluster: admission follows the reads. */
  private static Stats admitted(BootCacheClient client, long cachedBytes) throws InterruptedException {
    Stats s = client.stats();
    for (int i = 0; i < 300 && s.getCachedBytes() < cachedBytes; i++) {
      Thread.sleep(100);
      s = client.stats();
    }
    return s;
  }

  private Map<Integer, RedisBench.Result> redis() throws Exception {
    Optional<RedisBench> started = RedisBench.start();
    if (started.isEmpty()) {
      System.out.println("redis-server or redis-benchmark not found: no Redis comparison");
      return Map.of();
    }
    Map<Integer, RedisBench.Result> out = new LinkedHashMap<>();
    try (RedisBench r = started.get()) {
      for (int c : concurrency) {
        System.err.printf(Locale.ROOT, "measuring redis GET 4 KiB, %d in flight...%n", c);
        out.put(c, r.get(c, c == 1 ? 30_000 : 200_000));
      }
    }
    return out;
  }

  private static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
