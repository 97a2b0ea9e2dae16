package io.bootcache.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.sim.trace.BlkparseTrace;
import io.bootcache.sim.trace.CsvTrace;
import io.bootcache.sim.trace.MsrTrace;
import io.bootcache.sim.trace.NbdkitLogTrace;
import io.bootcache.sim.trace.Trace;
import io.bootcache.sim.trace.TraceRecord;
import io.bootcache.sim.trace.Traces;
import io.bootcache.sim.workload.BootScript;
import io.bootcache.sim.workload.IoRequest;
import io.bootcache.sim.workload.Workload;
import io.bootcache.sim.workload.Workloads;
import java.io.BufferedReader;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceParsersTest {

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(TraceParsersTest.class.getResource("/traces/" + name).toURI());
  }

  @Test
  void csvTraceKeepsEveryRequestInOrder() throws Exception {
    List<TraceRecord> r = Traces.read(resource("boot.csv"), "auto", null).requests();
    assertEquals(7, r.size());
    assertEquals(new TraceRecord(0, "vm1", false, 0, 512), r.get(0));
    assertEquals(new TraceRecord(3, "vm1", true, 2097152, 4096), r.get(3));
    assertEquals(new TraceRecord(10, "vm1", false, 1064960, 131072), r.get(4));
    assertEquals(12.25, r.get(5).tMs(), 1e-9);
    assertTrue(r.get(5).write());
  }

  @Test
  void csvTraceRejectsMalformedLinesWithTheirLineNumber() {
    String bad = "0,vm1,R,0,512\n1,vm1,,0,512\n";
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CsvTrace().parse(new BufferedReader(new StringReader(bad)), "t.csv"));
    assertTrue(e.getMessage().startsWith("t.csv:2:"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new CsvTrace().parse(new BufferedReader(new StringReader("0,vm1,R,-5,512\n")), "t.csv"));
    assertThrows(IllegalArgumentException.class,
        () -> new CsvTrace().parse(new BufferedReader(new StringReader("0,vm1,R,0\n")), "t.csv"));
  }

  @Test
  void csvTraceIgnoresExtraColumnsAndSkipsOtherOpsCountingThem(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("lat.csv"), "\uFEFFt_ms,vm,op,offset,length,lat_ms\n"
        + "0,vm1,R,0,4096,0.21\n"
        + "1,vm1,F,0,0,1.5\n"
        + "2,vm1,W,8192,4096,0.3\n"
        + "3,vm1,E,0,1048576,0.01\n"
        + "4,vm1,F,,,0.9\n"
        + "5,vm1,R,4096,0,0.1\n"
        + "6,vm1,read,4096,512,0.1\n");
    Trace trace = Traces.read(file, "auto", null);
    assertEquals(List.of(new TraceRecord(0, "vm1", false, 0, 4096), new TraceRecord(2, "vm1", true, 8192, 4096),
        new TraceRecord(6, "vm1", false, 4096, 512)), trace.requests());
    assertEquals(Map.of("F", 2L, "E", 1L, "empty", 1L), trace.skipped());
    assertEquals("4 operation(s) that are neither reads nor writes skipped (E 1, F 2, empty 1)", trace.skippedSummary());
  }

  @Test
  void csvHeaderNamesTheColumnsInAnyOrder() throws Exception {
    String csv = "vm,lat_ms,offset,length,op,t_ms\nvm2,0.5,512,1024,W,7.5\n";
    List<TraceRecord> r = new CsvTrace().parse(new BufferedReader(new StringReader(csv)), "t.csv").requests();
    assertEquals(List.of(new TraceRecord(7.5, "vm2", true, 512, 1024)), r);
    assertTrue(new CsvTrace().looksLike("vm,lat_ms,offset,length,op,t_ms"));
    assertFalse(new CsvTrace().looksLike("vm,offset,length,op"));
  }

  @Test
  void aTraceOfOnlyFlushesSaysWhatItSkipped(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("flush.csv"), "0,vm1,F,0,0\n1,vm1,F,0,0\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Traces.read(file, "auto", null));
    assertTrue(e.getMessage().contains("no read or write requests") && e.getMessage().contains("(F 2)"), e.getMessage());
  }

  @Test
  void msrTraceConvertsFiletimeAndNamesStreamsByHostAndDisk() throws Exception {
    List<TraceRecord> r = Traces.read(resource("msr.csv"), "auto", null).requests();
    assertEquals(5, r.size());
    assertEquals(new TraceRecord(0, "hm/1", false, 7014609920L, 24576), r.get(0));
    // 13320526 ticks of 100 ns = 1332.0526 ms
    assertEquals(1332.0526, r.get(1).tMs(), 1e-6);
    assertTrue(r.get(1).write());
    assertEquals("hm/0", r.get(3).stream());
    assertEquals("web/2", r.get(4).stream());
    assertTrue(new MsrTrace().looksLike("128166372003061629,hm,1,Read,7014609920,24576,41286"));
    assertFalse(new MsrTrace().looksLike("0,vm1,R,0,512"));
  }

  @Test
  void blkparseTraceKeepsQueuedRequestsInBytesAndSkipsFlushesDiscardsAndSummaries() throws Exception {
    Trace trace = Traces.read(resource("blkparse.txt"), "auto", null);
    List<TraceRecord> r = trace.requests();
    assertEquals(4, r.size(), r.toString());
    assertEquals(Map.of("FN", 1L, "DS", 1L), trace.skipped());
    assertEquals(new TraceRecord(0, "8,0", false, 2048L * 512, 8 * 512), r.get(0));
    assertEquals(new TraceRecord(1.5, "8,0", false, 10240L * 512, 256 * 512), r.get(1));
    assertTrue(r.get(2).write());
    assertEquals(500000L * 512, r.get(2).offset());
    assertEquals("8,16", r.get(3).stream());
  }

  @Test
  void blkparseTraceCanKeepCompletionsInstead() throws Exception {
    List<TraceRecord> r;
    try (BufferedReader in = Files.newBufferedReader(resource("blkparse.txt"))) {
      r = new BlkparseTrace("C").parse(in, "blkparse.txt").requests();
    }
    assertEquals(2, r.size());
    assertEquals(10240L * 512, r.get(1).offset());
    assertThrows(IllegalArgumentException.class, () -> new BlkparseTrace("X"));
  }

  @Test
  void nbdkitLogKeepsReadAndWriteCallsPerConnection() throws Exception {
    Trace trace = Traces.read(resource("nbdkit.log"), "auto", null);
    List<TraceRecord> r = trace.requests();
    assertEquals(5, r.size(), r.toString());
    assertEquals(Map.of("Flush", 1L), trace.skipped());
    assertEquals(new TraceRecord(0, "connection1", false, 0, 512), r.get(0));
    assertEquals(new TraceRecord(2.5, "connection1", false, 512, 512), r.get(1));
    assertEquals(new TraceRecord(9, "connection1", true, 0x100000, 0x1000), r.get(2));
    assertEquals(0x20000, r.get(3).length());
    assertEquals("connection2", r.get(4).stream());
    assertTrue(new NbdkitLogTrace().looksLike("connection=1 Read id=1 offset=0x0 count=0x200 ..."));
  }

  @Test
  void nbdkitLogWithoutTimestampsIsReadInLineOrder() throws Exception {
    String log = "connection=1 Read id=1 offset=0x0 count=0x200 ...\nconnection=1 ...Read id=1 return=0 (Success)\n"
        + "connection=1 Read id=2 offset=0x1000 count=0x1000 ...\n";
    List<TraceRecord> r = new NbdkitLogTrace().parse(new BufferedReader(new StringReader(log)), "x.log").requests();
    assertEquals(2, r.size());
    assertEquals(0x1000, r.get(1).offset());
    assertThrows(IllegalArgumentException.class, () -> new NbdkitLogTrace().parse(
        new BufferedReader(new StringReader("connection=1 Read id=1 offset=zz count=0x200\n")), "x.log"));
  }

  @Test
  void unknownFormatsAndEmptyTracesAreClearErrors(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.txt"), "hello\nworld\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Traces.read(junk, "auto", null));
    assertTrue(e.getMessage().contains("not a known trace format"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Traces.read(dir.resolve("missing.csv"), "csv", null));
    assertThrows(IllegalArgumentException.class, () -> Traces.format("tar", null));
  }

  @Test
  void aOneVmTraceReplaysAsManyVmsWithJitteredStarts() throws Exception {
    List<TraceRecord> r = Traces.read(resource("boot.csv"), "csv", null).requests();
    long size = Workloads.traceImageSize(r);
    assertEquals(5L * 1024 * 1024, size);
    Workload w = Workloads.trace(r, 6, Workloads.generatedImages(1, size, "t"), 8, 0.5, Duration.ofMillis(100), 7, "test");
    assertEquals(6, w.vms().size());
    long distinctStarts = java.util.Arrays.stream(w.startMicros()).distinct().count();
    assertTrue(distinctStarts > 1, "starts are jittered");
    for (long s : w.startMicros()) assertTrue(s >= 0 && s <= 100_000);
    BootScript s = w.vms().get(3);
    assertEquals(7, s.requests().size());
    // gaps follow the timestamps, times the time scale: 10 ms - 3 ms = 7 ms, halved
    assertEquals(3500, s.requests().get(4).gapMicros());
    IoRequest write = s.requests().get(3);
    assertTrue(write.write());
    assertEquals(8, write.depth());
  }
}
