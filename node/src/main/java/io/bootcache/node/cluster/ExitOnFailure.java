package io.bootcache.node.cluster;

import org.apache.ignite.Ignite;
import org.apache.ignite.failure.FailureContext;
import org.apache.ignite.failure.FailureHandler;
import org.apache.ignite.failure.FailureType;

/**
 * For a node that owns its JVM: a critical Ignite failure ends the process at once, so that its
 * supervisor (systemd, Kubernetes) starts it again. A node segmented from its cluster exits 75
 * (EX_TEMPFAIL: it rejoins through its seeds when it starts again); any other critical failure
 * exits 70. The process halts rather than exits: shutdown hooks would wait on the failed Ignite node.
 */
public final class ExitOnFailure implements FailureHandler {
  public static final int SEGMENTED = 75;
  public static final int CRITICAL = 70;

  @Override
  public boolean onFailure(Ignite ignite, FailureContext failure) {
    boolean segmented = failure.type() == FailureType.SEGMENTATION;
    int code = segmented ? SEGMENTED : CRITICAL;
    String what = segmented ? "was cut off from its cluster (segmented)" : "had a critical failure: " + failure;
    System.err.printf("bootcache node %s %s; exiting (%d) so that its supervisor starts it again%n", ignite.name(), what, code);
    System.err.flush();
    Runtime.getRuntime().halt(code);
    return true;
  }
}
