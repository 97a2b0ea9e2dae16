package io.bootcache.cli;

import io.bootcache.client.TestImages;
import io.bootcache.node.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI run in-process against a real cluster. */
class CliTest {
  static final int SIZE = 300 * 1024 + 5;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static String node;
  static byte[] bytes;
  static Path imageFile;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    node = cluster.grpcAddresses().get(0);
    imageFile = dir.resolve("deb.raw");
    bytes = TestImages.write(imageFile, SIZE, 3);
    Run r = run("image", "register", "deb", imageFile.toString());
    assertEquals(0, r.code, r.err);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  record Run(int code, String out, String err, byte[] raw) {}

  static Run run(String... args) {
    List<String> all = new ArrayList<>(List.of("--node", node));
    all.addAll(List.of(args));
    return runRaw(all.toArray(String[]::new));
  }

  static Run runRaw(String... args) {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(new Main(raw));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString(), raw.toByteArray());
  }

  @Test
  void registerAndList() {
    Run reg = run("image", "register", "deb2", imageFile.toString(), "--block-size", "1k");
    assertEquals(0, reg.code, reg.err);
    assertTrue(reg.out.contains("registered image deb2") && reg.out.contains("1.0 KiB blocks"), reg.out);

    Run list = run("image", "list");
    assertEquals(0, list.code, list.err);
    assertTrue(list.out.startsWith("ID"), list.out);
    assertTrue(list.out.contains("deb2") && list.out.contains("300.0 KiB"), list.out);

    Run json = run("image", "list", "--json");
    assertEquals(0, json.code, json.err);
    assertTrue(json.out.contains("\"id\": \"deb2\"") && json.out.contains("\"block_size\": 1024"), json.out);

    Run disk = run("disk", "register", "vm1", "--image", "deb");
    assertEquals(0, disk.code, disk.err);
    assertTrue(disk.out.contains("linked clone"), disk.out);
    Run disks = run("disk", "list");
    assertEquals(0, disks.code, disks.err);
    assertTrue(disks.out.contains("vm1") && disks.out.contains("linked") && disks.out.contains("active"), disks.out);
  }

  @Test
  void oneNamespaceAndWhatBringsAStaleLinkedCloneBack() throws Exception {
    assertEquals(0, run("disk", "register", "vm7", "--image", "deb").code);
    Run hijack = run("image", "register", "vm7", imageFile.toString());
    assertEquals(Main.EXIT_SERVER_ERROR, hijack.code);
    assertTrue(hijack.err.contains("taken by disk vm7"), hijack.err);

    Run noSource = run("disk", "resync", "vm7");
    assertEquals(Main.EXIT_SERVER_ERROR, noSource.code);
    assertTrue(noSource.err.contains("linked clone"), noSource.err);
    byte[] content = bytes.clone();
    content[5000] ^= 0x7f;
    Path raw = dir.resolve("vm7.raw");
    Files.write(raw, content);
    Run resync = run("disk", "resync", "vm7", "--from", raw.toString());
    assertEquals(0, resync.code, resync.err);
    assertTrue(resync.out.contains("resynced disk vm7") && resync.out.contains("active"), resync.out);
    assertArrayEquals(TestImages.slice(content, 4096, 4096), run("read", "--disk", "vm7", "4096", "4096").raw);

    Run reset = run("disk", "reset", "vm7");
    assertEquals(0, reset.code, reset.err);
    assertArrayEquals(TestImages.slice(bytes, 4096, 4096), run("read", "--disk", "vm7", "4096", "4096").raw);
  }

  @Test
  void readToAFileAndToStdout() throws Exception {
    Path out = dir.resolve("out.bin");
    Run r = run("read", "deb", "1000", String.valueOf(SIZE - 1000), "-o", out.toString());
    assertEquals(0, r.code, r.err);
    assertArrayEquals(TestImages.slice(bytes, 1000, SIZE - 1000), Files.readAllBytes(out));

    Run raw = run("read", "deb", "4k", "100");
    assertEquals(0, raw.code, raw.err);
    assertArrayEquals(TestImages.slice(bytes, 4096, 100), raw.raw);

    run("disk", "register", "vm2", "--image", "deb");
    Run disk = run("read", "--disk", "vm2", "0", "10");
    assertEquals(0, disk.code, disk.err);
    assertArrayEquals(TestImages.slice(bytes, 0, 10), disk.raw);
  }

  @Test
  void aBootReadIsCachedSoTheNextReadHitsAndItShowsInTheProfile() throws Exception {
    Path walk = dir.resolve("walk.raw");
    byte[] content = TestImages.write(walk, 1 << 20, 99);
    assertEquals(0, run("image", "register", "walk", walk.toString()).code);
    var metrics = cluster.node(0).services().metrics();
    Path first = dir.resolve("first.bin");
    Run boot = run("read", "--boot", "walk", "0", "64k", "-o", first.toString());
    assertEquals(0, boot.code, boot.err);
    assertArrayEquals(TestImages.slice(content, 0, 65536), Files.readAllBytes(first));
    long hits = metrics.blockHits.getCount();
    Run again = run("read", "walk", "0", "64k");
    assertEquals(0, again.code, again.err);
    assertArrayEquals(TestImages.slice(content, 0, 65536), again.raw);
    assertEquals(hits + 16, metrics.blockHits.getCount(), "the second read hits all 16 blocks");
    Run profile = run("profile", "show", "walk", "--json");
    assertEquals(0, profile.code, profile.err);
    assertTrue(profile.out.contains("\"boots\": 1"), profile.out);
  }

  @Test
  void statsWarmAndProfile() {
    Run stats = run("stats");
    assertEquals(0, stats.code, stats.err);
    assertTrue(stats.out.contains("cluster nodes") && stats.out.contains("fetches"), stats.out);
    Run json = run("stats", "--json");
    assertEquals(0, json.code, json.err);
    assertTrue(json.out.contains("\"cluster_nodes\": 1"), json.out);
    Run warm = run("warm", "deb");
    assertEquals(0, warm.code, warm.err);
    assertTrue(warm.out.startsWith("warmed deb"), warm.out);
    Run profile = run("profile", "show", "deb");
    assertEquals(0, profile.code, profile.err);
    assertTrue(profile.out.startsWith("image deb:"), profile.out);
  }

  @Test
  void badInputGetsAClearMessageAndANonZeroExit() throws Exception {
    Run unknown = run("read", "no-such-image", "0", "10");
    assertEquals(Main.EXIT_SERVER_ERROR, unknown.code);
    assertTrue(unknown.err.startsWith("bootcache: NOT_FOUND:"), unknown.err);
    assertEquals(1, unknown.err.strip().lines().count(), unknown.err);
    assertEquals(0, unknown.raw.length);

    Run past = run("read", "deb", String.valueOf(SIZE), "1");
    assertEquals(Main.EXIT_SERVER_ERROR, past.code);
    assertTrue(past.err.contains("OUT_OF_RANGE"), past.err);

    Path longOut = dir.resolve("long-read.bin");
    Run longPast = run("read", "deb", "0", "20M", "-o", longOut.toString());
    assertEquals(Main.EXIT_SERVER_ERROR, longPast.code);
    assertTrue(longPast.err.contains("OUT_OF_RANGE") && longPast.err.contains("past the end"), longPast.err);
    assertFalse(Files.exists(longOut), "a read that cannot be served writes nothing");

    Path noFile = dir.resolve("never-written.bin");
    Run badFileRead = run("read", "deb", "0", "0", "-o", noFile.toString());
    assertEquals(Main.EXIT_USAGE, badFileRead.code, badFileRead.err);
    assertFalse(Files.exists(noFile), "a failed read leaves no file behind");

    Run badLength = run("read", "deb", "0", "lots");
    assertEquals(Main.EXIT_USAGE, badLength.code);
    assertTrue(badLength.err.contains("'lots' is not a byte count"), badLength.err);

    Run fullWithoutFile = run("disk", "register", "vm9", "--image", "deb", "--full");
    assertEquals(Main.EXIT_USAGE, fullWithoutFile.code);
    assertTrue(fullWithoutFile.err.contains("--full needs --location"), fullWithoutFile.err);

    Run badId = run("image", "register", "bad id!", imageFile.toString());
    assertEquals(Main.EXIT_SERVER_ERROR, badId.code);
    assertTrue(badId.err.contains("INVALID_ARGUMENT"), badId.err);

    Run missing = run("image", "register", "ghost", dir.resolve("missing.raw").toString());
    assertTrue(missing.code != 0 && missing.err.startsWith("bootcache: "), missing.err);

    Run unknownCommand = run("frobnicate");
    assertEquals(Main.EXIT_USAGE, unknownCommand.code);

    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    Run unreachable = runRaw("--node", "127.0.0.1:" + deadPort, "image", "list");
    assertEquals(Main.EXIT_UNREACHABLE, unreachable.code);
    assertTrue(unreachable.err.startsWith("bootcache: cannot reach the cluster"), unreachable.err);

    Run badNode = runRaw("--node", "nonsense", "image", "list");
    assertTrue(badNode.code != 0, badNode.err);
  }

  @Test
  void nodesMayBeCommaSeparatedAndADeadOneIsPassedOver() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    Run list = runRaw("--node", "127.0.0.1:" + deadPort + "," + node, "image", "list");
    assertEquals(0, list.code, list.err);
    assertTrue(list.out.contains("deb"), list.out);

    Run bad = runRaw("--node", node + ",127.0.0.1:port", "image", "list");
    assertEquals(Main.EXIT_USAGE, bad.code, bad.err);
    assertTrue(bad.err.contains("'127.0.0.1:port'"), bad.err);
  }

  @Test
  void nbdTakesTheNodeListAsEveryCommandDoes() {
    for (String list : List.of("127.0.0.1:7400,127.0.0.1:7410", "127.0.0.1:7400, 127.0.0.1:7410", "127.0.0.1:7400,,127.0.0.1:7410,")) {
      Main main = new Main();
      Main.commandLine(main).parseArgs("--node", list, "nbd", "--socket", "/run/x.sock");
      assertEquals(List.of("127.0.0.1:7400", "127.0.0.1:7410"), main.nodeAddresses(), list);
    }
    Main after = new Main();
    Main.commandLine(after).parseArgs("nbd", "--node", "127.0.0.1:7410,127.0.0.1:7420", "--socket", "/run/x.sock");
    assertEquals(List.of("127.0.0.1:7410", "127.0.0.1:7420"), after.nodeAddresses(), "after the command, too");
  }

  @Test
  void nbdLimitsParseAndNonsenseIsRefusedBeforeAnythingStarts() {
    CommandLine.ParseResult parsed = Main.commandLine(new Main()).parseArgs("nbd", "--queue", "8m", "--max-in-flight", "64",
        "--max-connections", "3", "--handshake-timeout", "2.5", "--socket", "/run/x.sock");
    NbdCommand nbd = (NbdCommand) parsed.subcommand().commandSpec().userObject();
    assertEquals(8L << 20, nbd.queueBytes);
    assertEquals(64, nbd.maxInFlight);
    assertEquals(3, nbd.maxConnections);
    assertEquals(2.5, nbd.handshakeSeconds);
    NbdCommand defaults = (NbdCommand) Main.commandLine(new Main()).parseArgs("nbd").subcommand().commandSpec().userObject();
    assertEquals(64L << 20, defaults.queueBytes);
    assertEquals(512, defaults.maxInFlight);
    assertEquals(256, defaults.maxConnections);

    NbdCommand bad = (NbdCommand) Main.commandLine(new Main()).parseArgs("nbd", "--max-connections", "0",
        "--socket", "/run/x.sock").subcommand().commandSpec().userObject();
    var e = assertThrows(CommandLine.ParameterException.class, bad::start);
    assertTrue(e.getMessage().contains("maxConnections must be positive"), e.getMessage());
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] cmd : new String[][] {{}, {"image"}, {"image", "register"}, {"image", "list"}, {"disk"}, {"disk", "register"},
        {"disk", "list"}, {"read"}, {"warm"}, {"stats"}, {"profile"}, {"profile", "show"}}) {
      List<String> args = new ArrayList<>(List.of(cmd));
      args.add("--help");
      Run r = runRaw(args.toArray(String[]::new));
      assertEquals(0, r.code, String.join(" ", cmd));
      assertTrue(r.out.contains("Usage:"), r.out);
    }
  }
}
