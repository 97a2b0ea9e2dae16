package io.bootcache.node.cluster;

import java.util.concurrent.TimeUnit;
import org.apache.ignite.Ignite;
import org.apache.ignite.failure.AbstractFailureHandler;
import org.apache.ignite.failure.FailureContext;
import org.apache.ignite.failure.FailureType;

/**
 * For a node that owns its JVM (started by Main): when Ignite meets a failure it cannot go on from, the
 * node says so on standard error and exits, so that its supervisor (systemd, Kubernetes) starts it
 * again, rather than halting silently or limping on. Cut off from its cluster (segmented) it exits
 * {@link #SEGMENTED} and rejoins through its seeds when it starts again; any other critical failure (a
 * critical system thread died, storage failed, out of memory) exits {@link #CRITICAL_FAILURE}. The exit
 * codes are listed in the README (Running a node). A blocked worker or a slow critical operation is
 * only logged, as Ignite does by default: under load they pass.
 */
public final class ExitOnFailure extends AbstractFailureHandler {
  /** Ignite hit a critical failure (as EX_SOFTWARE). */
  public static final int CRITICAL_FAILURE = 70;
  /** The node was cut off from its cluster, or sees fewer than half of it (as EX_TEMPFAIL). */
  public static final int SEGMENTED = 75;
  /** How long the shutdown hooks may take before the process is halted anyway. */
  private static final long HALT_AFTER_MS = TimeUnit.SECONDS.toMillis(10);

  @Override
  protected boolean handle(Ignite ignite, FailureContext failure) {
    String name = ignite == null ? "node" : ignite.name();
    boolean segmented = failure.type() == FailureType.SEGMENTATION;
    int status = segmented ? SEGMENTED : CRITICAL_FAILURE;
    String what = segmented ? "was cut off from its cluster (segmented)"
        : "critical failure in Ignite (" + failure.type() + "): " + failure.error();
    System.err.println("bootcache: " + name + ": " + what + "; exiting with status " + status
        + " so that the supervisor restarts the node");
    System.err.flush();
    exit(status);
    return true;
  }

  /**
   * Exits from a thread of its own (never from the failing one, which may hold locks the shutdown
   * hooks need), halting if the hooks hang.
   */
  static void exit(int status) {
    Thread halt = new Thread(() -> {
      try {
        Thread.sleep(HALT_AFTER_MS);
      } catch (InterruptedException ignored) {
        // halt now
      }
      Runtime.getRuntime().halt(status);
    }, "bootcache-halt");
    halt.setDaemon(true);
    halt.start();
    Thread exit = new Thread(() -> System.exit(status), "bootcache-exit");
    exit.setDaemon(true);
    exit.start();
  }
}
