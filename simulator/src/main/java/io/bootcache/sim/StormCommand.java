package io.bootcache.sim;

import io.bootcache.sim.backend.Throttle;
import io.bootcache.sim.backend.Units;
import io.bootcache.sim.report.HtmlReport;
import io.bootcache.sim.report.ProgressBar;
import io.bootcache.sim.report.ResultsJson;
import io.bootcache.sim.report.Tables;
import io.bootcache.sim.storm.ModeResult;
import io.bootcache.sim.storm.Storm;
import io.bootcache.sim.storm.StormOutcome;
import io.bootcache.sim.storm.StormSettings;
import io.bootcache.sim.trace.Trace;
import io.bootcache.sim.trace.TraceRecord;
import io.bootcache.sim.trace.Traces;
import io.bootcache.sim.workload.BootModel;
import io.bootcache.sim.workload.ImageSpec;
import io.bootcache.sim.workload.Presets;
import io.bootcache.sim.workload.ReadSizes;
import io.bootcache.sim.workload.Workload;
import io.bootcache.sim.workload.Workloads;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code storm}: N VMs booting from M images on H hosts, without and with bootcache, compared. */
@Command(name = "storm", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Boots N VMs from M images on H simulated hosts twice: straight from a throttled backend, and "
        + "through a bootcache cluster (in-process, one node per host, or --nodes). Prints a table per mode; "
        + "writes JSON (--json) and an offline HTML report (--html)."})
final class StormCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--vms", defaultValue = "20", description = "VMs booting (default ${DEFAULT-VALUE})")
  int vms;
  @Option(names = "--hosts", defaultValue = "2", description = "simulated hosts, each with its own client (and node) (default ${DEFAULT-VALUE})")
  int hosts;
  @Option(names = "--images", defaultValue = "1", description = "images the VMs boot from, VM i from image i mod M (default ${DEFAULT-VALUE})")
  int images;

  @Option(names = "--preset", defaultValue = "linux", description = "boot model: linux, windows or custom (default ${DEFAULT-VALUE})")
  String preset;
  @Option(names = "--image", description = "use this image file instead of a generated one (repeat for several images)")
  List<Path> imageFiles = new ArrayList<>();
  @Option(names = "--trace", description = "replay this trace instead of the boot model")
  Path trace;
  @Option(names = "--trace-format", defaultValue = "auto", description = "auto, csv (t_ms,vm,op,offset,length), msr, blkparse, nbdkit")
  String traceFormat;
  @Option(names = "--blkparse-action", description = "blkparse action to replay: Q, D or C (default: Q, else D, else C)")
  String blkparseAction;

  @Option(names = "--image-size", description = "image size, e.g. 1GiB")
  String imageSize;
  @Option(names = "--working-set", description = "fraction of the image a boot reads, e.g. 0.04")
  Double workingSet;
  @Option(names = "--read-median", description = "median read size, e.g. 16KiB")
  String readMedian;
  @Option(names = "--read-p90", description = "90th percentile read size, e.g. 128KiB")
  String readP90;
  @Option(names = "--read-max", description = "largest read, e.g. 1MiB")
  String readMax;
  @Option(names = "--sequentiality", description = "probability a read continues the previous one")
  Double sequentiality;
  @Option(names = "--overlap", description = "fraction of blocks two boots of one image share, e.g. 0.99")
  Double overlap;
  @Option(names = "--write-fraction", description = "fraction of requests that are writes")
  Double writeFraction;
  @Option(names = "--in-flight", description = "requests a VM keeps in flight at most")
  Integer inFlight;
  @Option(names = "--think-ms", description = "mean CPU think time between requests, ms")
  Double thinkMs;
  @Option(names = "--start-spread-s", description = "VMs power on uniformly within this many seconds")
  Double startSpread;
  @Option(names = "--firmware-reads", description = "512-byte reads one at a time before the OS boots (firmware, boot loader)")
  Integer firmwareReads;
  @Option(names = "--seed", defaultValue = "1", description = "seed of the random choices (default ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--scale", defaultValue = "1", description = "multiply image and working-set sizes (default ${DEFAULT-VALUE})")
  double scale;
  @Option(names = "--time-scale", defaultValue = "1", description = "multiply think times and start spread, e.g. 0.1 (default ${DEFAULT-VALUE})")
  double timeScale;

  @Option(names = "--backend-iops", defaultValue = "2000", description = "backend IOPS cap, 0: none (default ${DEFAULT-VALUE})")
  long backendIops;
  @Option(names = "--backend-bandwidth", defaultValue = "200MiB", description = "backend bytes per second cap, 0: none (default ${DEFAULT-VALUE})")
  String backendBandwidth;
  @Option(names = "--backend-latency-ms", defaultValue = "1", description = "latency added to every backend read (default ${DEFAULT-VALUE})")
  double backendLatencyMs;

  @Option(names = "--nodes", split = Lists.COMMAS, splitSynopsisLabel = ",", description = "external cluster h:p,h:p (image files must be readable by its nodes)")
  List<String> nodes = new ArrayList<>();
  @Option(names = "--cache-region", defaultValue = "256MiB", description = "blocks region per in-process node (default ${DEFAULT-VALUE})")
  String cacheRegion;
  @Option(names = "--backups", defaultValue = "1", description = "backup copies on in-process nodes (default ${DEFAULT-VALUE})")
  int backups;
  @Option(names = "--dup-fraction", defaultValue = "0.1", description = "share of generated blocks that repeat common content (default ${DEFAULT-VALUE})")
  double dupFraction;

  @Option(names = "--modes", split = Lists.COMMAS, splitSynopsisLabel = ",", defaultValue = "none,cold", description = "modes to run: none (no cache), cold, warm (default ${DEFAULT-VALUE})")
  List<String> modes;
  @Option(names = "--warm", description = "also run the storm a second time on the warm cluster")
  boolean warm;
  @Option(names = "--no-alone", description = "do not boot one VM alone for the storm-versus-alone ratio")
  boolean noAlone;
  @Option(names = "--no-record", description = "diagnostic: do not send reads to the boot sessions' recorders (no profiles)")
  boolean noRecord;
  @Option(names = "--via", defaultValue = "nbd",
      description = "how the VMs read: nbd (their host node's own NBD server, as QEMU does; in-process nodes only) or grpc "
          + "(the client library, as a storage driver does) (default ${DEFAULT-VALUE})")
  String via;

  @Option(names = "--json", description = "write the results as JSON here")
  Path json;
  @Option(names = "--html", description = "write the HTML report here")
  Path html;
  @Option(names = "--work-dir", description = "where images and node data go (default: a temporary directory, removed after)")
  Path workDir;
  @Option(names = "--timeout-s", defaultValue = "1800", description = "give up a mode's storm after this many seconds (default ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    boolean tempDir = workDir == null;
    Path dir = tempDir ? Files.createTempDirectory("bootcache-sim-") : Files.createDirectories(workDir);
    try {
      String[] scaling = new String[1];
      Workload workload = workload(scaling);
      boolean none = modes.contains("none");
      boolean warmToo = warm || modes.contains("warm");
      // a warm storm is the second storm on a cluster: the cold one comes first
      boolean cold = modes.contains("cold") || warmToo;
      for (String m : modes) {
        if (!List.of("none", "cold", "warm").contains(m)) throw new IllegalArgumentException("unknown mode '" + m + "' (none, cold, warm)");
      }
      Throttle throttle = new Throttle(backendIops, Units.parseBytes(backendBandwidth),
          Duration.ofNanos((long) (backendLatencyMs * 1_000_000)));
      StormSettings settings = new StormSettings(workload, commandLine(), scaling[0], throttle, hosts, nodes,
          Units.parseBytes(cacheRegion), backups, dupFraction, dir, none, cold, warmToo, !noAlone, !noRecord,
          viaGrpc(), Duration.ofSeconds(timeoutSeconds));
      out.println("workload: " + workload.description());
      out.println("scaling:  " + scaling[0]);
      out.println("backend:  " + throttle);
      StormOutcome o = new Storm(settings, ProgressBar.stderr()).run();
      out.println();
      out.println("setup: " + o.setup());
      out.println();
      out.print(Tables.text(o));
      out.println();
      for (String line : summary(o)) out.println(line);
      if (json != null) {
        Files.writeString(json, ResultsJson.write(o));
        out.println("JSON: " + json.toAbsolutePath());
      }
      if (html != null) {
        Files.writeString(html, HtmlReport.render(o));
        out.println("HTML report: " + html.toAbsolutePath());
      }
      out.flush();
      boolean bad = o.modes().stream().anyMatch(m -> m.mismatches() > 0 || m.errors() > 0);
      return bad ? 1 : 0;
    } finally {
      if (tempDir) deleteTree(dir);
    }
  }

  static List<String> summary(StormOutcome o) {
    List<String> lines = new ArrayList<>();
    double aloneNoCache = Double.NaN;
    for (int i = 0; i < o.modes().size(); i++) {
      ModeResult m = o.modes().get(i);
      if (!m.hasCache() && !Double.isNaN(o.aloneBootMs()[i])) aloneNoCache = o.aloneBootMs()[i];
    }
    for (int i = 0; i < o.modes().size(); i++) {
      ModeResult m = o.modes().get(i);
      String alone = Double.isNaN(o.aloneBootMs()[i]) ? ""
          : String.format(Locale.ROOT, " = %.2fx one VM alone in this mode", o.slowestOverAlone(i));
      lines.add(String.format(Locale.ROOT, "%s: amplification %.3f, peak backend IOPS %d%s, slowest VM %.2f s%s%s",
          m.mode(), m.amplification(), m.peakIops(), o.iopsCap() > 0 ? " (cap " + o.iopsCap() + ")" : "", m.bootMax() / 1000,
          alone,
          m.hasCache() && !Double.isNaN(aloneNoCache) ? String.format(Locale.ROOT, ", %.2fx one VM alone without cache", m.bootMax() / aloneNoCache) : ""));
      if (o.iopsCap() > 0) lines.add("  backend IOPS within the cap in every " + (m.iopsExact() ? "second" : "sampled interval")
          + ": " + (withinCap(m, o.iopsCap()) ? "yes" : "NO"));
      if (m.mismatches() > 0 || m.errors() > 0) {
        lines.add("  PROBLEM: " + m.mismatches() + " mismatching reads, " + m.errors() + " errors; first: " + m.firstError());
      }
    }
    return lines;
  }

  /**
   * Whether the backend stayed under its IOPS cap: every exact one-second bucket at most the cap,
   * or, for counters sampled about once a second, every interval at most the cap times its length
   * plus one read per host (a read whose slot straddles the interval's start).
   */
  static boolean withinCap(ModeResult m, long cap) {
    if (m.iopsExact()) return java.util.Arrays.stream(m.iopsPerSecond()).allMatch(n -> n <= cap);
    List<io.bootcache.sim.storm.Sample> s = m.samples();
    for (int i = 1; i < s.size(); i++) {
      double dt = s.get(i).seconds() - s.get(i - 1).seconds();
      long reads = s.get(i).counters().reads() - s.get(i - 1).counters().reads();
      if (reads > Math.ceil(cap * dt) + m.hosts()) return false;
    }
    return true;
  }

  /** The workload the options describe; {@code scaling[0]} is set to a sentence saying how it was scaled. */
  private Workload workload(String[] scaling) throws IOException {
    if (vms < 1) throw new IllegalArgumentException("--vms must be at least 1, got " + vms);
    if (!imageFiles.isEmpty()) images = imageFiles.size();
    if (images < 1) throw new IllegalArgumentException("--images must be at least 1, got " + images);
    if (scale <= 0 || timeScale <= 0) throw new IllegalArgumentException("--scale and --time-scale must be positive");
    String prefix = "sim-" + Long.toString(System.currentTimeMillis(), 36) + "-";
    if (trace != null) return traceWorkload(prefix, scaling);
    BootModel model = preset.equalsIgnoreCase("custom") ? BootModel.builder().build() : Presets.named(preset);
    model = overrides(model).scaled(scale, timeScale);
    List<ImageSpec> specs;
    if (imageFiles.isEmpty()) {
      specs = Workloads.generatedImages(images, model.imageSize(), prefix);
    } else {
      // the images are what they are: the size scale shrinks the working set only
      specs = givenImages(prefix);
      long smallest = specs.stream().mapToLong(ImageSpec::size).min().orElseThrow() / 4096 * 4096;
      double fraction = Math.min(1, overrides(preset.equalsIgnoreCase("custom") ? BootModel.builder().build() : Presets.named(preset))
          .workingSetFraction() * scale);
      model = model.toBuilder().imageSize(smallest).workingSetFraction(fraction).build();
    }
    scaling[0] = String.format(Locale.ROOT, "%s x%s, times x%s: image %s, working set %s per boot, think time %.2f ms, start spread %.1f s",
        imageFiles.isEmpty() ? "sizes" : "working set (images given)", trim(scale), trim(timeScale),
        Units.bytes(model.imageSize()), Units.bytes(model.workingSetBytes()),
        model.thinkTime().toNanos() / 1e6, model.startSpread().toNanos() / 1e9);
    String d = "preset " + preset + " (" + model + "), " + vms + " VMs, " + specs.size() + " image(s)";
    return Workloads.synthetic(model, vms, specs, d);
  }

  private Workload traceWorkload(String prefix, String[] scaling) throws IOException {
    Trace parsed = Traces.read(trace, traceFormat, blkparseAction);
    List<TraceRecord> records = parsed.requests();
    List<ImageSpec> specs = imageFiles.isEmpty()
        ? Workloads.generatedImages(images, Workloads.traceImageSize(records), prefix)
        : givenImages(prefix);
    double spread = startSpread == null ? 1.0 : startSpread;
    scaling[0] = "times x" + trim(timeScale) + " (trace replay: sizes as recorded); start jitter up to " + spread * timeScale + " s";
    return Workloads.trace(records, vms, specs, inFlight == null ? 14 : inFlight, timeScale,
        Duration.ofNanos((long) (spread * timeScale * 1e9)), seed,
        "trace " + trace.getFileName() + " (" + records.size() + " requests"
            + (parsed.skipped().isEmpty() ? "" : "; " + parsed.skippedSummary()) + ")");
  }

  private List<ImageSpec> givenImages(String prefix) throws IOException {
    List<ImageSpec> specs = new ArrayList<>();
    for (int i = 0; i < imageFiles.size(); i++) {
      Path f = imageFiles.get(i);
      if (!Files.isRegularFile(f)) throw new IllegalArgumentException("image file not found: " + f);
      specs.add(Workloads.givenImage(prefix + i, f.toAbsolutePath(), Files.size(f)));
    }
    return specs;
  }

  private BootModel overrides(BootModel m) {
    BootModel.Builder b = m.toBuilder().seed(seed);
    if (imageSize != null) b.imageSize(Units.parseBytes(imageSize));
    if (workingSet != null) b.workingSetFraction(workingSet);
    if (readMedian != null || readP90 != null || readMax != null) {
      ReadSizes r = m.readSizes();
      b.readSizes(new ReadSizes(readMedian == null ? r.median() : (int) Units.parseBytes(readMedian),
          readP90 == null ? r.p90() : (int) Units.parseBytes(readP90),
          readMax == null ? r.max() : (int) Units.parseBytes(readMax), r.align()));
    }
    if (sequentiality != null) b.sequentiality(sequentiality);
    if (overlap != null) b.overlap(overlap);
    if (writeFraction != null) b.writeFraction(writeFraction);
    if (inFlight != null) b.inFlight(inFlight);
    if (thinkMs != null) b.thinkTime(Duration.ofNanos((long) (thinkMs * 1e6)));
    if (startSpread != null) b.startSpread(Duration.ofNanos((long) (startSpread * 1e9)));
    if (firmwareReads != null) b.firmwareReads(firmwareReads);
    return b.build();
  }

  private String commandLine() {
    List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
    if (!args.isEmpty() && args.get(0).equals("storm")) args.remove(0);
    return "java -jar simulator/target/bootcache-sim.jar storm " + String.join(" ", args);
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  private static void deleteTree(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }

  /** gRPC when asked for, or when the nodes are external (their NBD addresses are not known here). */
  private boolean viaGrpc() {
    if (!via.equals("nbd") && !via.equals("grpc")) {
      throw new ParameterException(spec.commandLine(), "--via takes nbd or grpc, got '" + via + "'");
    }
    return via.equals("grpc") || !nodes.isEmpty();
  }
}
