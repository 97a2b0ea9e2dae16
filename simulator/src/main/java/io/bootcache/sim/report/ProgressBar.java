package io.bootcache.sim.report;

import io.bootcache.sim.storm.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr: redrawn in place with carriage returns on a terminal, or a plain line
 * every few seconds when stderr is not a terminal (a log file, CI).
 */
public final class ProgressBar implements Progress {
  private static final int WIDTH = 30;
  private final PrintStream out;
  private final boolean tty;
  private long lastPlainNanos;

  public ProgressBar(PrintStream out, boolean tty) {
    this.out = out;
    this.tty = tty;
  }

  /** On stderr, redrawing in place when there is a console. */
  public static ProgressBar stderr() {
    return new ProgressBar(System.err, System.console() != null);
  }

  @Override
  public void update(String mode, long vmsDone, int vms, long reads, long totalReads, double seconds) {
    double frac = totalReads == 0 ? 0 : Math.min(1, (double) reads / totalReads);
    if (tty) {
      int filled = (int) Math.round(frac * WIDTH);
      out.print(String.format(Locale.ROOT, "\r%-22s [%s%s] %3.0f%%  %d/%d VMs booted  %d reads  %.0f s ",
          mode, "#".repeat(filled), ".".repeat(WIDTH - filled), frac * 100, vmsDone, vms, reads, seconds));
      out.flush();
    } else {
      long now = System.nanoTime();
      if (now - lastPlainNanos < 5_000_000_000L) return;
      lastPlainNanos = now;
      out.println(String.format(Locale.ROOT, "%s: %.0f%% of reads done, %d/%d VMs booted, %.0f s", mode, frac * 100, vmsDone, vms, seconds));
    }
  }

  @Override
  public void finish(String line) {
    if (tty) out.print("\r" + " ".repeat(100) + "\r");
    out.println(line);
    out.flush();
    lastPlainNanos = 0;
  }
}
