package io.bootcache.client.nbd;

import io.bootcache.cli.Main;
import io.bootcache.cli.NbdCommand;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.TestImages;
import io.bootcache.nbd.Tools;
import io.bootcache.node.LocalCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `bootcache nbd` on a Unix domain socket, and on a listening socket handed to it as standard input
 * the way systemd socket activation does, driven by the real libnbd tools.
 */
class NbdSocketTest {
  static final int SIZE = 3 * 1024 * 1024 + 512;

  @TempDir
  static Path dir;
  static LocalCluster cluster;
  static String node;
  static byte[] image;

  @BeforeAll
  static void start() throws IOException {
    Tools.require("nbdinfo", "nbdcopy", "systemd-socket-activate");
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    node = cluster.grpcAddresses().get(0);
    Path imageFile = dir.resolve("img.raw");
    image = TestImages.write(imageFile, SIZE, 5);
    try (BootCacheClient client = BootCacheClient.builder().nodes(node).build()) {
      client.registerImage("img", imageFile.toString(), 0);
    }
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  static String unixUri(String export, Path socket) {
    return "nbd+unix:///" + export + "?socket=" + socket;
  }

  @Test
  void servesOnAUnixSocketAndRemovesItOnClose() throws IOException {
    Path socket = dir.resolve("nbd.sock");
    try (NbdCommand.Running running = NbdClusterDownTest.startCommand("--node", node, "nbd", "--socket", socket.toString())) {
      assertEquals(unixUri("img", socket), running.server().uri("img"));
      String list = Tools.run("nbdinfo", "--list", unixUri("", socket)).ok().out();
      assertTrue(list.contains("export=\"img\"") && list.contains(String.valueOf(SIZE)), list);
      Path copy = dir.resolve("copy-unix.raw");
      Tools.run("nbdcopy", unixUri("img", socket), copy.toString()).ok();
      assertArrayEquals(image, Files.readAllBytes(copy));
    }
    assertFalse(Files.exists(socket), "the socket file goes with the server");
  }

  @Test
  void listenOptionsAreExclusiveAndAnExistingSocketPathIsRefused() throws IOException {
    Path taken = Files.writeString(dir.resolve("taken.sock"), "a file");
    String err = runForError("--node", node, "nbd", "--socket", taken.toString());
    assertTrue(err.contains(taken + " exists"), err);
    err = runForError("--node", node, "nbd", "--socket", dir.resolve("x.sock").toString(), "--listen", "127.0.0.1:0");
    assertTrue(err.contains("give one of --listen, --socket and --listen-inherited"), err);
    // under Maven, standard input is a pipe, not a listening socket
    err = runForError("--node", node, "nbd", "--listen-inherited");
    assertTrue(err.contains("standard input is not a listening socket"), err);
  }

  @Test
  void servesOnAnInheritedListeningSocket() throws Exception {
    Path socket = dir.resolve("activated.sock");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // systemd-socket-activate binds the socket, then on the first connection starts the server
    // with the listening socket as its standard input, as a .socket unit with StandardInput=socket does
    Process activator = new ProcessBuilder(List.of("systemd-socket-activate", "--inetd", "-l", socket.toString(),
        java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "--node", node, "nbd", "--listen-inherited"))
        .redirectErrorStream(true).redirectOutput(dir.resolve("activated.log").toFile()).start();
    try {
      waitFor(socket);
      Path copy = dir.resolve("copy-inherited.raw");
      Tools.run("nbdcopy", unixUri("img", socket), copy.toString()).ok();
      assertArrayEquals(image, Files.readAllBytes(copy));
      String info = Tools.run("nbdinfo", unixUri("img", socket)).ok().out();
      assertTrue(info.contains("export-size: " + SIZE), info);
      assertTrue(activator.isAlive(), "one server serves connection after connection");
    } finally {
      activator.destroy();
      if (!activator.waitFor(30, TimeUnit.SECONDS)) activator.destroyForcibly();
    }
  }

  private static void waitFor(Path socket) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!Files.exists(socket)) {
      if (System.nanoTime() > deadline) throw new AssertionError("systemd-socket-activate did not create " + socket);
      Thread.sleep(50);
    }
  }

  /** Runs the CLI, expects exit code 2, and returns what it printed to stderr. */
  private static String runForError(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(new Main());
    cl.setErr(new PrintWriter(err, true));
    assertEquals(Main.EXIT_USAGE, cl.execute(args), err::toString);
    return err.toString();
  }
}
