package io.bootcache.sim.nbd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process whose CPU time is counted: user plus system time of all its threads, live and ended,
 * as the kernel sums them in /proc/PID/stat, in seconds.
 */
public record ProcessCpu(String name, long pid) {
  private static final long CLOCK_TICKS = clockTicks();

  public ProcessCpu {
    if (pid <= 0) throw new IllegalArgumentException("a process id is positive, got " + pid);
    if (!Files.isReadable(stat(pid))) throw new IllegalArgumentException("no process " + pid + " (no " + stat(pid) + ")");
  }

  /** {@code NAME=PID}, or a bare {@code PID} named by its command (/proc/PID/comm). */
  public static ProcessCpu parse(String spec) {
    int eq = spec.indexOf('=');
    String name = eq < 0 ? null : spec.substring(0, eq).trim();
    long pid;
    try {
      pid = Long.parseLong(spec.substring(eq + 1).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a process: '" + spec + "' (PID or NAME=PID)");
    }
    if (name == null || name.isEmpty()) name = command(pid);
    return new ProcessCpu(name, pid);
  }

  public static ProcessCpu self() {
    return new ProcessCpu("nbd-bench (this JVM)", ProcessHandle.current().pid());
  }

  /** CPU seconds used so far. */
  public double seconds() {
    String stat;
    try {
      stat = Files.readString(stat(pid), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CPU time of " + name + " (" + pid + "): did it exit?", e);
    }
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long utime = Long.parseLong(fields[11]);
    long stime = Long.parseLong(fields[12]);
    return (double) (utime + stime) / CLOCK_TICKS;
  }

  private static Path stat(long pid) {
    return Path.of("/proc", Long.toString(pid), "stat");
  }

  private static String command(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).trim();
    } catch (IOException e) {
      throw new IllegalArgumentException("no process " + pid);
    }
  }

  /** The kernel's clock ticks per second (sysconf(_SC_CLK_TCK)), asked of getconf; 100 on Linux if that fails. */
  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      return p.waitFor() == 0 ? Long.parseLong(out) : 100;
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
