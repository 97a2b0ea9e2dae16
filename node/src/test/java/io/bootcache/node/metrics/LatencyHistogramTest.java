package io.bootcache.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void aHistogramsBucketsAreCumulativeInSeconds() {
    LatencyHistogram h = new LatencyHistogram(new double[] {0.001, 0.01, 1});
    h.observeNanos(500_000);     // 0.5 ms
    h.observeNanos(1_000_000);   // 1 ms: on the bound, in its bucket
    h.observeNanos(5_000_000);   // 5 ms
    h.observeNanos(2_000_000_000L); // 2 s: only in +Inf
    LatencyHistogram.Snapshot s = h.snapshot();
    assertEquals(List.of(2L, 3L, 3L, 4L), Arrays.stream(s.cumulative()).boxed().toList());
    assertEquals(4, s.count());
    assertEquals(2.0065, s.sumSeconds(), 1e-9);
  }

  @Test
  void boundsMustIncrease() {
    assertThrows(IllegalArgumentException.class, () -> new LatencyHistogram(new double[] {1, 1}));
  }
}
