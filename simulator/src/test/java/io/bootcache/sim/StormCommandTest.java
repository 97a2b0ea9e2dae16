package io.bootcache.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad input to the storm command is a clear one-line error and exit code 2, before anything starts. */
class StormCommandTest {

  /** The exit code, what went to stderr, and what went to stdout. */
  private static String[] run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(out));
    int code = cl.execute(args);
    return new String[] {Integer.toString(code), err.toString(), out.toString()};
  }

  @Test
  void aTraceWithExtraColumnsAndFlushesReplaysItsReadsAndWritesAndSaysWhatItSkipped(@TempDir Path dir) throws Exception {
    Path trace = Files.writeString(dir.resolve("lat.csv"), "t_ms,vm,op,offset,length,lat_ms\n"
        + "0,vm1,R,0,4096,0.2\n1,vm1,F,0,0,1.1\n2,vm1,W,8192,4096,0.3\n3,vm1,E,0,65536,0.0\n4,vm1,R,65536,16384,0.2\n");
    String[] r = run("storm", "--trace", trace.toString(), "--vms", "2", "--modes", "none", "--no-alone",
        "--backend-iops", "0", "--backend-latency-ms", "0", "--work-dir", dir.resolve("work").toString());
    assertEquals("0", r[0], r[1] + r[2]);
    assertTrue(r[2].contains("trace lat.csv (3 requests; 2 operation(s) that are neither reads nor writes skipped (E 1, F 1))"), r[2]);
  }

  @Test
  void listsMayHaveSpacesAfterTheirCommas() {
    StormCommand storm = (StormCommand) Main.commandLine().parseArgs("storm", "--modes", "none, cold", "--nodes",
        "127.0.0.1:7400 ,127.0.0.1:7410").subcommand().commandSpec().userObject();
    assertEquals(List.of("none", "cold"), storm.modes);
    assertEquals(List.of("127.0.0.1:7400", "127.0.0.1:7410"), storm.nodes);
    BenchCommand bench = (BenchCommand) Main.commandLine().parseArgs("bench", "--concurrency", "1, 16", "--nodes", "127.0.0.1:7400")
        .subcommand().commandSpec().userObject();
    assertEquals(List.of(1, 16), bench.concurrency);
    NbdBenchCommand nbd = (NbdBenchCommand) Main.commandLine().parseArgs("nbd-bench", "--pid", "nbdkit=12, qemu=34", "nbd://127.0.0.1/x")
        .subcommand().commandSpec().userObject();
    assertEquals(List.of("nbdkit=12", "qemu=34"), nbd.pids);
  }

  @Test
  void badNumbersAndNamesAreRefusedWithTheirReason(@TempDir Path dir) throws Exception {
    String[] r = run("storm", "--vms", "0");
    assertEquals("2", r[0]);
    assertTrue(r[1].contains("--vms must be at least 1"), r[1]);
    r = run("storm", "--preset", "solaris");
    assertEquals("2", r[0]);
    assertTrue(r[1].contains("unknown preset 'solaris'"), r[1]);
    r = run("storm", "--overlap", "1.5");
    assertTrue(r[1].contains("overlap must be within [0, 1]"), r[1]);
    r = run("storm", "--trace", dir.resolve("missing.csv").toString());
    assertEquals("2", r[0]);
    assertTrue(r[1].contains("trace file not found"), r[1]);
    Path junk = Files.writeString(dir.resolve("junk.txt"), "not a trace\n");
    r = run("storm", "--trace", junk.toString());
    assertTrue(r[1].contains("not a known trace format"), r[1]);
    r = run("storm", "--image", dir.resolve("nope.raw").toString());
    assertTrue(r[1].contains("image file not found"), r[1]);
    r = run("storm", "--image-size", "lots");
    assertTrue(r[1].contains("not a size"), r[1]);
    r = run("storm", "--vms", "ten");
    assertEquals("2", r[0], "picocli's own parse errors use code 2 too");
  }
}
