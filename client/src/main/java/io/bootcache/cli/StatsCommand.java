package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import io.bootcache.v1.ImageStats;
import io.bootcache.v1.Stats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;

@Command(name = "stats", mixinStandardHelpOptions = true, description = "Shows a node's counters and the cluster's cache use.")
final class StatsCommand extends ClientCommand {
  @Option(names = "--json", description = "Print the stats as JSON.")
  boolean json;

  @Override
  int run(BootCacheClient client) {
    Stats s = client.stats();
    if (json) {
      out().println(Json.of(s));
      out().flush();
      return Main.EXIT_OK;
    }
    long blocks = s.getBlockHits() + s.getBlockMisses();
    out().println("node " + s.getNodeId() + " (counters since it started; cache figures cluster-wide)");
    Table t = new Table("COUNTER", "VALUE").right(1);
    t.row("cluster nodes", s.getClusterNodes());
    t.row("fetches", s.getFetches());
    t.row("block hits", s.getBlockHits() + (blocks == 0 ? "" : String.format(Locale.ROOT, " (%.1f %%)", 100.0 * s.getBlockHits() / blocks)));
    t.row("block misses", s.getBlockMisses());
    t.row("backend reads", s.getBackendReads());
    t.row("backend bytes", Sizes.human(s.getBackendBytes()));
    t.row("single-flight waits", s.getSingleFlightWaits());
    t.row("admitted blocks", s.getAdmittedBlocks());
    t.row("cached blocks", s.getCachedBlocks());
    t.row("cached bytes", Sizes.human(s.getCachedBytes()));
    t.row("region used", Sizes.human(s.getRegionUsedBytes()) + " of " + Sizes.human(s.getRegionMaxBytes()));
    t.row("evictions", s.getEvictions());
    t.print(out());
    if (s.getImagesCount() > 0) {
      out().println();
      Table images = new Table("IMAGE", "BOOTS", "WORKING SET", "BLOCKS").right(1, 2, 3);
      for (ImageStats i : s.getImagesList()) {
        images.row(i.getImageId(), i.getBoots(), Sizes.human(i.getWorkingSetBytes()), i.getWorkingSetBlocks());
      }
      images.print(out());
    }
    out().flush();
    return Main.EXIT_OK;
  }
}
