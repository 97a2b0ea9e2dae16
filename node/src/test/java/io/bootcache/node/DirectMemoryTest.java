package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process whose host tier would leave no direct memory for the network refuses to start (exit
 * 2, one line naming --host-memory and -XX:MaxDirectMemorySize), instead of dropping NBD connections
 * once the tier is full.
 */
class DirectMemoryTest {
  static final long MIB = 1 << 20;
  @TempDir Path dir;

  @Test
  void theHostTierMustLeaveTheNetworkItsMargin() {
    assertNull(DirectMemory.shortfall(128 * MIB, 256 * MIB));
    assertNull(DirectMemory.shortfall(0, 128 * MIB));
    String tooBig = DirectMemory.shortfall(256 * MIB, 256 * MIB);
    assertTrue(tooBig.contains("--host-memory 256 MiB") && tooBig.contains("-XX:MaxDirectMemorySize=384m"), tooBig);
    assertTrue(DirectMemory.shortfall(0, 64 * MIB).contains("-XX:MaxDirectMemorySize=128m"));
  }

  @Test
  void withTheDefaultCapTheHeapIsTheLimit() throws Exception {
    String out = refused(List.of("-Xmx256m"), "256m");
    // the JDK's default is the heap the JVM reports (Runtime.maxMemory), a little under -Xmx
    assertTrue(out.contains("the JVM has 2") && out.contains("=384m or more"), out);
  }

  @Test
  void anExplicitCapIsReadFromTheJvm() throws Exception {
    String out = refused(List.of("-Xmx256m", "-XX:MaxDirectMemorySize=1g"), "960m");
    assertTrue(out.contains("the JVM has 1024 MiB") && out.contains("=1088m or more"), out);
  }

  /** Starts a node process that must refuse: its exit code is 2 and its output one line saying why. */
  private String refused(List<String> jvm, String hostMemory) throws Exception {
    int base = Ports.freeRange(4);
    try (NodeProcess node = NodeProcess.start(jvm, List.of("--grpc-port", "" + base, "--admin-port", "" + (base + 1),
        "--discovery-port", "" + (base + 2), "--communication-port", "" + (base + 3),
        "--data-dir", dir.resolve("data").toString(), "--host-memory", hostMemory))) {
      assertTrue(node.process.waitFor(30, TimeUnit.SECONDS), "the node did not refuse to start: " + node.output);
      node.up.handle((v, e) -> null).get(10, TimeUnit.SECONDS); // its output is all read
      String out = String.join("\n", node.output);
      assertEquals(2, node.process.exitValue(), out);
      assertFalse(out.contains(" up: "), out);
      assertTrue(out.startsWith("bootcache-node: --host-memory ") && !out.contains("\n"), out);
      return out;
    }
  }
}
