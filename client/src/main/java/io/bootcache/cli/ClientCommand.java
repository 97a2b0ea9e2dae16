package io.bootcache.cli;

import io.bootcache.client.BootCacheClient;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** A command that talks to the cluster: connects, runs, closes; output goes to the command line's writer. */
abstract class ClientCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    try (BootCacheClient client = main().connect()) {
      return run(client);
    }
  }

  abstract int run(BootCacheClient client) throws Exception;

  Main main() {
    return (Main) spec.root().userObject();
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
