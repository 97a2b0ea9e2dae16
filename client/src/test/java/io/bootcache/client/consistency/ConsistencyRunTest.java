package io.bootcache.client.consistency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConsistencyRun}, short by default; {@code -Dconsistency.reads=N -Dconsistency.seed=S} set a long one
 * (scripts/consistency-run.sh).
 */
class ConsistencyRunTest {
  @TempDir Path dir;

  @Test
  void noReadReturnsBytesOtherThanTheModelsThroughAKillAndAPartition() throws Exception {
    long reads = Long.getLong("consistency.reads", 6_000);
    long seed = Long.getLong("consistency.seed", 20261202L);
    ConsistencyRun.Result r = new ConsistencyRun(reads, seed, dir, Path.of("target", "consistency-logs")).run();
    System.out.println(r.summary());
    assertEquals(0, r.wrong(), "first wrong read: " + r.firstWrong());
    assertTrue(r.checked() >= reads / 2, "too few reads checked: " + r.summary());
    assertTrue(r.faults().stream().anyMatch(f -> f.contains("killed")), r.summary());
    assertTrue(r.faults().stream().anyMatch(f -> f.contains("partitioned")), r.summary());
    assertTrue(r.writes() > 0, r.summary());
  }
}
