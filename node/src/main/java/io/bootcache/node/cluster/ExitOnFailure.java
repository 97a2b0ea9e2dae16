package io.bootcache.node.cluster;

import java.util.concurrent.TimeUnit;
import org.apache.ignite.Ignite;
import org.apache.ignite.failure.AbstractFailureHandler;
import org.apache.ignite.failure.FailureContext;

/**
 * What the node does when Ignite meets a failure it cannot go on from (a critical system thread
 * died, storage failed, out of memory): it says so on standard error and exits with
 * {@link #CRITICAL_FAILURE}, so that its supervisor restarts it, rather than halting silently or
 * limping on. The exit codes are listed in the README (Running a node). A blocked worker or a slow
 * critical operation is only logged by Ignite, as by default: under load they pass.
 */
public final class ExitOnFailure extends AbstractFailureHandler {
  /** Ignite hit a critical failure (as EX_SOFTWARE). */
  public static final int CRITICAL_FAILURE = 70;
  /** How long the shutdown hooks may take before the process is halted anyway. */
  private static final long HALT_AFTER_MS = TimeUnit.SECONDS.toMillis(10);

  @Override
  protected boolean handle(Ignite ignite, FailureContext failure) {
    String name = ignite == null ? "node" : ignite.name();
    System.err.println("bootcache: " + name + ": critical failure in Ignite (" + failure.type() + "): "
        + failure.error() + "; exiting with status " + CRITICAL_FAILURE + " so that the supervisor restarts the node");
    System.err.flush();
    exit(CRITICAL_FAILURE);
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
