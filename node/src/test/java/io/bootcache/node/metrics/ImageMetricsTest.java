package io.bootcache.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageMetricsTest {
  @Test
  void pastTheCapImagesAreCountedTogetherAsOther() {
    ImageMetrics m = new ImageMetrics(3);
    for (String image : List.of("a", "b", "c", "d", "e")) m.of(image).boots.increment();
    m.of("a").boots.increment();
    assertEquals(List.of("_other", "a", "b", "c"), List.copyOf(m.all().keySet()));
    assertEquals(2, m.of("a").boots.sum());
    assertEquals(2, m.all().get("_other").boots.sum(), "d and e");
    assertSame(m.of("d"), m.of("zzz"), "every image past the cap shares one set of counters");
  }

  @Test
  void amplificationIsBackendBytesPerByteServed() {
    ImageMetrics.Counters c = new ImageMetrics(1).of("img");
    assertEquals(0, c.amplification(), "nothing served yet");
    c.readBytes.add(4096);
    c.backendBytes.add(1024);
    assertEquals(0.25, c.amplification());
  }
}
