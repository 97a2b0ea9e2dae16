package io.bootcache.sim.storm;

import io.bootcache.client.BootCacheClient;
import io.bootcache.node.LocalCluster;
import io.bootcache.sim.backend.ImageContent;
import io.bootcache.sim.backend.Throttle;
import io.bootcache.sim.backend.ThrottledStorage;
import io.bootcache.sim.backend.Units;
import io.bootcache.sim.workload.ImageSpec;
import io.bootcache.sim.workload.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A storm command, top to bottom: write the images, boot the storm straight from the throttled
 * backend, then through a fresh bootcache cluster (and again, warm, if asked), each time also one
 * VM alone, and gather the figures.
 */
public final class Storm {
  private final StormSettings s;
  private final Progress progress;

  public Storm(StormSettings settings, Progress progress) {
    this.s = settings;
    this.progress = progress;
  }

  public StormOutcome run() throws Exception {
    Workload w = s.workload();
    List<Path> files = writeImages(w);
    StormRunner runner = new StormRunner(s.hosts(), s.timeout(), progress);
    List<ModeResult> results = new ArrayList<>();
    List<Double> alone = new ArrayList<>();
    if (s.noCache()) {
      try (ThrottledStorage storage = new ThrottledStorage(s.throttle())) {
        DirectMode direct = new DirectMode(storage, files);
        if (s.alone()) alone.add(runner.run(direct, w.alone(0), files, null).bootMs()[0]);
        else alone.add(Double.NaN);
        results.add(runner.run(direct, w, files, null));
      }
    }
    String cluster = "";
    if (s.cold() || s.warm()) cluster = runCached(w, files, runner, results, alone);
    String setup = s.hosts() + " simulated host(s), each with its own client; backend: " + s.throttle() + cluster;
    return new StormOutcome(s.command(), w.description(), s.scaling(), setup, s.throttle().iops(), results,
        alone.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private String runCached(Workload w, List<Path> files, StormRunner runner, List<ModeResult> results, List<Double> alone)
      throws Exception {
    Throttle perNode = s.throttle().split(s.nodes().isEmpty() ? s.hosts() : s.nodes().size());
    LocalCluster local = null;
    try {
      List<String> nodes = s.nodes();
      String described;
      if (nodes.isEmpty()) {
        Path dataDir = Files.createDirectories(s.workDir().resolve("cluster-" + System.nanoTime()));
        LocalCluster.Builder cluster = LocalCluster.builder().nodes(s.hosts()).dataDir(dataDir);
        if (!s.viaGrpc()) cluster.nbd();
        local = cluster
            .configure(b -> b.blocksRegionBytes(s.cacheRegionBytes())
                .backups(s.backups())
                .backendIops(perNode.iops())
                .backendBytesPerSecond(perNode.bytesPerSecond())
                .backendLatency(s.throttle().latency())
                .imageRoots(List.of(s.workDir().resolve("images").toAbsolutePath())))
            .start();
        nodes = local.grpcAddresses();
        described = "; cluster: " + s.hosts() + " in-process node(s), one per host, each reading the backend under "
            + perNode + " (together the backend's caps), blocks region " + Units.bytes(s.cacheRegionBytes())
            + " per node, " + s.backups() + " backup(s); the VMs read " + (s.viaGrpc() ? "over gRPC through the client library"
            : "through their host node's own NBD server");
      } else {
        described = "; cluster: external nodes " + nodes + " (their backend limits are their own)";
      }
      Map<String, Path> byId = new LinkedHashMap<>();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < w.images().size(); i++) {
        ids.add(w.images().get(i).id());
        byId.put(w.images().get(i).id(), files.get(i));
      }
      // one VM alone boots its image under other ids: cold like the storm, but without touching the storm's images
      List<String> aloneIds = renamed(ids, "-alone");
      List<String> warmupIds = renamed(ids, "-warmup");
      for (int i = 0; i < ids.size(); i++) {
        byId.put(aloneIds.get(i), files.get(i));
        byId.put(warmupIds.get(i), files.get(i));
      }
      try (ThrottledStorage fallback = new ThrottledStorage(perNode)) {
        CachedMode cached = new CachedMode("bootcache (cold)", nodes, s.hosts(), ids, byId, fallback, s.record(),
            local == null ? List.of() : local.nodes(), !s.viaGrpc());
        try {
          BootCacheClient admin = cached.client(0);
          for (Map.Entry<String, Path> e : byId.entrySet()) admin.registerImage(e.getKey(), e.getValue().toAbsolutePath().toString(), 4096);
          // A long-running node has its code paths compiled; a fresh JVM has not. One boot on other ids
          // first, so that the figures measure the cluster and not the JIT.
          runner.run(cached.view("warm-up (not measured)", warmupIds), w.alone(w.vms().size() - 1), files, null);
          double aloneMs = Double.NaN;
          if (s.alone()) aloneMs = runner.run(cached.view("bootcache (one VM alone)", aloneIds), w.alone(0), files, null).bootMs()[0];
          if (s.cold()) {
            results.add(measure(runner, cached, w, files));
            alone.add(aloneMs);
          }
          if (s.warm()) {
            double warmAlone = Double.NaN;
            if (s.alone()) warmAlone = runner.run(cached.view("bootcache (one VM alone, warm)", aloneIds), w.alone(0), files, null).bootMs()[0];
            results.add(measure(runner, cached.view("bootcache (warm)", ids), w, files, cached));
            alone.add(warmAlone);
          }
        } finally {
          cached.close();
        }
      }
      return described;
    } finally {
      if (local != null) local.close();
    }
  }

  private static List<String> renamed(List<String> ids, String suffix) {
    List<String> out = new ArrayList<>();
    for (String id : ids) out.add(id + suffix);
    return out;
  }

  private ModeResult measure(StormRunner runner, CachedMode mode, Workload w, List<Path> files) throws Exception {
    return measure(runner, mode, w, files, mode);
  }

  /** Runs the storm and adds what the clients did during it (fallbacks, retries) to the result. */
  private ModeResult measure(StormRunner runner, StormMode mode, Workload w, List<Path> files, CachedMode clients) throws Exception {
    Map<String, Long> before = clients.clientCounters();
    return runner.run(mode, w, files, () -> {
      Map<String, Long> after = clients.clientCounters();
      Map<String, Long> delta = new LinkedHashMap<>();
      after.forEach((k, v) -> delta.put(k, v - before.getOrDefault(k, 0L)));
      return delta;
    });
  }

  /** Writes every generated image (only the blocks some VM reads get content) and returns each image's file. */
  private List<Path> writeImages(Workload w) throws Exception {
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < w.images().size(); i++) {
      ImageSpec img = w.images().get(i);
      if (!img.generated()) {
        files.add(img.givenFile().toAbsolutePath());
        continue;
      }
      Path file = s.workDir().resolve("images").resolve(img.id() + ".raw").toAbsolutePath();
      new ImageContent(img.seed(), s.duplicateFraction()).write(file, img.size(), w.readBlocks(i, ImageContent.BLOCK));
      files.add(file);
    }
    return files;
  }
}
