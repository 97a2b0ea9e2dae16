package io.bootcache.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.NodeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ignite.failure.FailureContext;
import org.apache.ignite.failure.FailureType;
import org.apache.ignite.failure.StopNodeOrHaltFailureHandler;
import org.junit.jupiter.api.Test;

/** A critical Ignite failure ends the process with status 70 and a line that says why; a blocked worker does not. */
class ExitOnFailureTest {
  /** Run as its own process: hands the handler the failure named by its argument, then waits to be ended. */
  public static final class Failing {
    public static void main(String[] args) throws InterruptedException {
      boolean ended = new ExitOnFailure().onFailure(null,
          new FailureContext(FailureType.valueOf(args[0]), new IllegalStateException("storage is gone")));
      System.out.println("handled=" + ended);
      Thread.sleep(ended ? 30_000 : 0);
    }
  }

  static Process run(FailureType type) throws Exception {
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Failing.class.getName(), type.name()))
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the process ended");
    return p;
  }

  @Test
  void aNodeThatOwnsItsProcessRunsWithIt() {
    assertInstanceOf(ExitOnFailure.class,
        IgniteStarter.configuration(NodeConfig.builder().exitOnFailure(true).build()).getFailureHandler());
    assertInstanceOf(StopNodeOrHaltFailureHandler.class,
        IgniteStarter.configuration(NodeConfig.builder().build()).getFailureHandler(), "an embedded node stops, its JVM goes on");
  }

  @Test
  void aSegmentedNodeExitsWith75() throws Exception {
    Process p = run(FailureType.SEGMENTATION);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(ExitOnFailure.SEGMENTED, p.exitValue(), out);
    assertTrue(out.contains("cut off from its cluster") && out.contains("exiting with status 75"), out);
  }

  @Test
  void aCriticalFailureExitsWith70AndSaysWhy() throws Exception {
    Process p = run(FailureType.CRITICAL_ERROR);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(ExitOnFailure.CRITICAL_FAILURE, p.exitValue(), out);
    assertTrue(out.contains("critical failure in Ignite (CRITICAL_ERROR)") && out.contains("storage is gone")
        && out.contains("exiting with status 70"), out);
  }

  @Test
  void aBlockedWorkerIsOnlyLogged() throws Exception {
    Process p = run(FailureType.SYSTEM_WORKER_BLOCKED);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("handled=false"), out);
  }
}
