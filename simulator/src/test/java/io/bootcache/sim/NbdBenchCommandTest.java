package io.bootcache.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.nbd.client.Nbdkit;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code boot-image} and {@code nbd-bench} from the command line, against nbdkit serving the image. */
class NbdBenchCommandTest {
  /** A small linux boot: a 20 MiB image, about twenty reads and a few firmware sectors. */
  static final String[] BOOT = {"--scale", "0.02", "--firmware-reads", "40"};

  record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cl = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** The arguments, then the small boot's options. */
  private static String[] withBoot(String... args) {
    String[] all = Arrays.copyOf(args, args.length + BOOT.length);
    System.arraycopy(BOOT, 0, all, args.length, BOOT.length);
    return all;
  }

  @Test
  void helpSaysWhatItMeasuresAndWhichUrisItTakes() {
    Run r = run("nbd-bench", "--help");
    assertEquals(0, r.exit());
    assertTrue(r.out().contains("nbd+unix:///EXPORT?socket=PATH"), r.out());
    assertTrue(r.out().contains("--in-flight"), r.out());
    assertEquals(0, run("boot-image", "--help").exit());
  }

  @Test
  void badInputIsAOneLineErrorBeforeAnythingIsRead() {
    Run r = run("nbd-bench", "http://host/x");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("not an NBD URI"), r.err());
    r = run("nbd-bench", "nbd://127.0.0.1/x", "--clients", "0");
    assertTrue(r.err().contains("--clients must be at least 1"), r.err());
    r = run("nbd-bench", "nbd://127.0.0.1/x", "--replies", "fancy");
    assertTrue(r.err().contains("--replies must be structured or simple"), r.err());
    r = run("nbd-bench", "nbd://127.0.0.1/x", "--pid", "gone=2147483647");
    assertTrue(r.err().contains("no process 2147483647"), r.err());
    r = run("nbd-bench", "nbd://127.0.0.1/x", "--preset", "solaris");
    assertTrue(r.err().contains("unknown preset 'solaris'"), r.err());
  }

  @Test
  void aRunReadsEveryBootOfEveryClientVerifiesItAndCountsTheServersCpu(@TempDir Path dir) throws Exception {
    Path image = dir.resolve("boot.raw");
    assertEquals(0, run(withBoot("boot-image", image.toString(), "--boots", "2")).exit());
    Path json = dir.resolve("run.json");
    try (Nbdkit nbdkit = new Nbdkit(dir, "file", image.toString())) {
      Run r = run(withBoot("nbd-bench", nbdkit.address().toString(), "--clients", "2", "--in-flight", "4",
          "--passes", "2", "--warmup-passes", "1", "--verify", image.toString(), "--pid", "nbdkit=" + nbdkit.pid(),
          "--label", "nbdkit", "--json", json.toString()));
      assertEquals(0, r.exit(), r.out() + r.err());
      assertTrue(r.out().startsWith("nbdkit: nbd+unix:///?socket="), r.out());
      String figures = Files.readString(json);
      long reads = number(figures, "reads");
      assertTrue(reads > 40, figures);
      assertEquals(reads, number(figures, "verified_reads"), figures);
      assertEquals(0, number(figures, "errors"), figures);
      assertTrue(number(figures, "writes_skipped") > 0, figures);
      assertTrue(figures.contains("\"name\": \"nbdkit\""), figures);
      assertTrue(figures.contains("\"server_cpu_seconds_per_gib\""), figures);

      // the same reads checked against a file of other bytes: every read is a mismatch, and the exit says so
      Path other = dir.resolve("other.raw");
      assertEquals(0, run(withBoot("boot-image", other.toString(), "--boots", "2", "--content-seed", "2")).exit());
      r = run(withBoot("nbd-bench", nbdkit.address().toString(), "--verify", other.toString()));
      assertEquals(1, r.exit(), r.out());
      assertTrue(r.out().contains("differ from the file"), r.out());
    }
  }

  private static long number(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\": (\\d+)").matcher(json);
    assertTrue(m.find(), key + " missing from " + json);
    return Long.parseLong(m.group(1));
  }
}
