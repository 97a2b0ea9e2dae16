package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import io.bootcache.v1.BootProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "profile", mixinStandardHelpOptions = true, description = "Boot profiles: which blocks boots of an image read.",
    subcommands = {ProfileCommand.Show.class})
final class ProfileCommand {

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Shows an image's boot profile: its blocks in first-touch order, merged over the recorded boots.")
  static final class Show extends ClientCommand {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image id.")
    String image;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "Blocks to list (default: ${DEFAULT-VALUE}; 0: all).")
    int limit;

    @Option(names = "--json", description = "Print the whole profile as JSON.")
    boolean json;

    @Override
    int run(BootCacheClient client) {
      if (limit < 0) throw new IllegalArgumentException("--limit must not be negative, got " + limit);
      BootProfile p = client.profile(image);
      if (json) {
        out().println(Json.of(p));
        out().flush();
        return Main.EXIT_OK;
      }
      int n = p.getBlocksCount();
      out().println("image " + p.getImageId() + ": " + p.getBoots() + " boots, " + n + " blocks in the working set ("
          + Sizes.human((long) n * p.getBlockSize()) + ")");
      if (n > 0) {
        int shown = limit == 0 ? n : Math.min(limit, n);
        Table t = new Table("BLOCK", "OFFSET", "FIRST TOUCH", "BOOTS").right(0, 1, 2, 3);
        for (int i = 0; i < shown; i++) {
          long block = p.getBlocks(i);
          t.row(block, block * p.getBlockSize(), i < p.getFirstTouchMsCount() ? p.getFirstTouchMs(i) + " ms" : "",
              i < p.getCountCount() ? p.getCount(i) : "");
        }
        t.print(out());
        if (shown < n) out().println("... " + (n - shown) + " more (--limit 0 lists all)");
      }
      out().flush();
      return Main.EXIT_OK;
    }
  }
}
