package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import io.bootcache.v1.WarmResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "warm", mixinStandardHelpOptions = true,
    description = "Loads an image's boot working set (its profile's blocks) into the cluster before a boot storm.")
final class WarmCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "IMAGE", description = "The image id.")
  String image;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Override
  int run(BootCacheClient client) {
    WarmResponse w = client.warm(image);
    if (json) {
      out().println(Json.of(w));
    } else {
      out().println("warmed " + w.getImageId() + ": " + w.getBlocks() + " blocks (" + Sizes.human(w.getBytes()) + "), "
          + w.getBackendBlocks() + " read from the backend, in " + w.getDurationMs() + " ms");
    }
    out().flush();
    return Main.EXIT_OK;
  }
}
