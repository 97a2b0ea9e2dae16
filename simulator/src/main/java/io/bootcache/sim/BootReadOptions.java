package io.bootcache.sim;

import io.bootcache.sim.trace.TraceRecord;
import io.bootcache.sim.trace.Traces;
import io.bootcache.sim.workload.BootModel;
import io.bootcache.sim.workload.ImageSpec;
import io.bootcache.sim.workload.Presets;
import io.bootcache.sim.workload.Workload;
import io.bootcache.sim.workload.Workloads;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Which boots to replay, for {@code nbd-bench} and {@code boot-image}: boots of a preset's model
 * (boot i is the model's VM i, so boots share most of their blocks) or the streams of a trace.
 */
final class BootReadOptions {
  /** The reads of a preset depend on its image's seed: storm's first image, so both draw the same boots. */
  static final long IMAGE_SEED = 1000;
  /** Requests a trace's boot keeps in flight, as storm replays traces. */
  private static final int TRACE_IN_FLIGHT = 14;

  @Option(names = "--preset", defaultValue = "linux", description = "boot model: linux or windows (default ${DEFAULT-VALUE})")
  String preset;
  @Option(names = "--trace", description = "replay this trace instead of the preset: each stream is a boot")
  Path trace;
  @Option(names = "--trace-format", defaultValue = "auto", description = "auto, csv (t_ms,vm,op,offset,length), msr, blkparse, nbdkit")
  String traceFormat;
  @Option(names = "--blkparse-action", description = "blkparse action to replay: Q, D or C (default: Q, else D, else C)")
  String blkparseAction;
  @Option(names = "--firmware-reads", description = "512-byte reads, one at a time, before the OS (default: the preset's)")
  Integer firmwareReads;
  @Option(names = "--scale", defaultValue = "1", description = "multiply the preset's image and working-set sizes (default ${DEFAULT-VALUE})")
  double scale;
  @Option(names = "--seed", defaultValue = "1", description = "seed of the preset's random choices (default ${DEFAULT-VALUE})")
  long seed;

  /** {@code boots} boots of one image, named "boot"; a trace's image is just large enough for the trace. */
  Workload workload(int boots) throws IOException {
    if (boots < 1) throw new IllegalArgumentException("at least one boot is needed, got " + boots);
    if (!(scale > 0)) throw new IllegalArgumentException("--scale must be positive, got " + scale);
    if (trace != null) {
      List<TraceRecord> records = Traces.read(trace, traceFormat, blkparseAction).requests();
      ImageSpec image = new ImageSpec("boot", Workloads.traceImageSize(records), IMAGE_SEED, null);
      return Workloads.trace(records, boots, List.of(image), TRACE_IN_FLIGHT, 1, Duration.ZERO, seed,
          "trace " + trace.getFileName() + " (" + records.size() + " requests)");
    }
    BootModel scaled = Presets.named(preset).toBuilder().seed(seed).build().scaled(scale, 1);
    if (firmwareReads != null) scaled = scaled.toBuilder().firmwareReads(firmwareReads).build();
    ImageSpec image = new ImageSpec("boot", scaled.imageSize(), IMAGE_SEED, null);
    return Workloads.synthetic(scaled, boots, List.of(image), "preset " + preset + " x" + scale + " (" + scaled + ")");
  }
}
