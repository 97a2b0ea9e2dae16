package io.bootcache.nbd.client;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * nbdkit serving a file on a Unix socket or a loopback TCP port, for the tests: a real NBD server to
 * read from. A missing nbdkit fails the test with what to install; it never skips.
 */
public final class Nbdkit implements AutoCloseable {
  private final Process process;
  private final Path socket;
  private final int port;
  private final Path pidFile;

  /** {@code nbdkit -f -U SOCKET ARGUMENTS...}, e.g. {@code file FILE}, with its log in {@code dir}. */
  public Nbdkit(Path dir, String... arguments) throws IOException, InterruptedException {
    this(dir, false, arguments);
  }

  /** {@code nbdkit -f -i 127.0.0.1 -p PORT ARGUMENTS...} on a free port. */
  public static Nbdkit tcp(Path dir, String... arguments) throws IOException, InterruptedException {
    return new Nbdkit(dir, true, arguments);
  }

  private Nbdkit(Path dir, boolean tcp, String... arguments) throws IOException, InterruptedException {
    boolean installed = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, "nbdkit")));
    if (!installed) fail("nbdkit is not installed: the NBD tests need it (Debian: apt-get install -y nbdkit)");
    long tag = System.nanoTime();
    socket = tcp ? null : dir.resolve("nbdkit-" + tag + ".sock");
    port = tcp ? freePort() : 0;
    // nbdkit writes its pid file once it listens: the sign that it is ready
    pidFile = dir.resolve("nbdkit-" + tag + ".pid");
    List<String> command = new ArrayList<>(List.of("nbdkit", "-f", "--exit-with-parent", "-P", pidFile.toString()));
    command.addAll(tcp ? List.of("-i", "127.0.0.1", "-p", Integer.toString(port)) : List.of("-U", socket.toString()));
    command.addAll(List.of(arguments));
    Path log = dir.resolve("nbdkit-" + tag + ".log");
    process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    for (int i = 0; i < 500 && !listening(); i++) {
      if (!process.isAlive()) fail("nbdkit exited: " + Files.readString(log));
      Thread.sleep(20);
    }
    if (!listening()) fail("nbdkit did not start listening: " + Files.readString(log));
  }

  private boolean listening() throws IOException {
    return Files.exists(pidFile) && !Files.readString(pidFile).isBlank();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The default export's URI: {@code nbd+unix:///?socket=PATH} or {@code nbd://127.0.0.1:PORT/}. */
  public String uri() {
    return uri("");
  }

  /** A named export's URI (nbdkit's {@code file dir=DIR} serves each file of DIR by its name). */
  public String uri(String export) {
    return socket != null ? "nbd+unix:///" + export + "?socket=" + socket : "nbd://127.0.0.1:" + port + "/" + export;
  }

  public NbdAddress address() {
    return NbdAddress.parse(uri());
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    // nbdkit waits for its clients to hang up; a test that left one connected must not hang here
    if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
  }
}
