package io.bootcache.sim;

import io.bootcache.sim.backend.ImageContent;
import io.bootcache.sim.backend.Units;
import io.bootcache.sim.workload.ImageSpec;
import io.bootcache.sim.workload.Workload;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code boot-image}: the image file whose boots nbd-bench replays, with content only where they read. */
@Command(name = "boot-image", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Writes the image that nbd-bench's boots read (the same --preset, --trace, --scale, --seed): "
        + "random-looking blocks where any of the first --boots boots reads, holes elsewhere.")
final class BootImageCommand implements Callable<Integer> {
  @Parameters(paramLabel = "FILE", description = "the image file to write (replaced if it exists)")
  Path file;
  @Mixin
  BootReadOptions boots;
  @Option(names = "--boots", defaultValue = "16", description = "boots whose reads get content (default ${DEFAULT-VALUE})")
  int count;
  @Option(names = "--content-seed", defaultValue = "1",
      description = "seed of the bytes: another seed, other bytes at the same places (default ${DEFAULT-VALUE})")
  long contentSeed;
  @Option(names = "--dup-fraction", defaultValue = "0.1", description = "share of blocks that repeat common content (default ${DEFAULT-VALUE})")
  double dupFraction;

  @Override
  public Integer call() throws Exception {
    Workload workload = boots.workload(count);
    ImageSpec image = workload.images().get(0);
    BitSet blocks = workload.readBlocks(0, ImageContent.BLOCK);
    new ImageContent(contentSeed, dupFraction).write(file, image.size(), blocks);
    System.out.printf("%s: %s, %s of it in %d blocks that %d boot(s) read; %s%n", file, Units.bytes(image.size()),
        Units.bytes((long) blocks.cardinality() * ImageContent.BLOCK), blocks.cardinality(), count, workload.description());
    return 0;
  }
}
