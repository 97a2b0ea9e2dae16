package io.bootcache.sim.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** CPU time of processes, from /proc. */
class ProcessCpuTest {
  static final long SELF = ProcessHandle.current().pid();

  @Test
  void aProcessIsNamedByItsCommandOrAsGiven() throws Exception {
    String command = Files.readString(Path.of("/proc/self/comm")).trim();
    assertEquals(command, ProcessCpu.parse(Long.toString(SELF)).name());
    assertEquals("node", ProcessCpu.parse("node=" + SELF).name());
    assertEquals(SELF, ProcessCpu.parse(" node = " + SELF).pid());
  }

  @Test
  void whatIsNotARunningProcessIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ProcessCpu.parse("node=abc"));
    assertThrows(IllegalArgumentException.class, () -> ProcessCpu.parse("-3"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProcessCpu.parse("gone=2147483647"));
    assertTrue(e.getMessage().contains("no process 2147483647"), e.getMessage());
  }

  @Test
  void cpuTimeGrowsWhileTheProcessWorks() {
    ProcessCpu self = ProcessCpu.self();
    double before = self.seconds();
    assertTrue(before > 0, "this JVM has run for a while: " + before);
    long until = System.nanoTime() + 30_000_000_000L;
    long spin = 0;
    while (self.seconds() <= before && System.nanoTime() < until) {
      for (int i = 0; i < 1_000_000; i++) spin += i ^ spin;
    }
    assertTrue(self.seconds() > before, "no CPU time counted after spinning (" + spin + ")");
  }
}
