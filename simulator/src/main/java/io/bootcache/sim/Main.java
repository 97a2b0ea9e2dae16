package io.bootcache.sim;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The simulator's command line: {@code storm}, {@code bench}, {@code nbd-bench} and {@code boot-image}. */
@Command(name = "bootcache-sim", mixinStandardHelpOptions = true, version = "bootcache-sim 0.1.0",
    description = "Boot storms against a real bootcache cluster, the node benchmark, and boot-shaped reads against any NBD server.",
    subcommands = {StormCommand.class, BenchCommand.class, NbdBenchCommand.class, BootImageCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.setProperty("java.net.preferIPv4Stack", "true");
    System.setProperty("IGNITE_QUIET", System.getProperty("IGNITE_QUIET", "true"));
    System.setProperty("IGNITE_NO_ASCII", "true");
    System.setProperty("IGNITE_UPDATE_NOTIFIER", "false");
    int code = commandLine().execute(args);
    System.exit(code);
  }

  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // bad input: the message and the usage, not a stack trace
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
        cmd.getErr().println("error: " + e.getMessage());
        return 2;
      }
      throw e;
    });
    return cl;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
