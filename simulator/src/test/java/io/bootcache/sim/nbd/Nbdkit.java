package io.bootcache.sim.nbd;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * nbdkit serving a file on a Unix socket, for the tests: a real NBD server to read from. A missing
 * nbdkit fails the test with what to install; it never skips.
 */
public final class Nbdkit implements AutoCloseable {
  private final Process process;
  private final Path socket;

  /** {@code nbdkit -f -U SOCKET ARGUMENTS...}, e.g. {@code file FILE}, with its log in {@code dir}. */
  public Nbdkit(Path dir, String... arguments) throws IOException, InterruptedException {
    boolean installed = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, "nbdkit")));
    if (!installed) fail("nbdkit is not installed: the NBD benchmark tests need it (Debian: apt-get install -y nbdkit)");
    socket = dir.resolve("nbdkit-" + System.nanoTime() + ".sock");
    List<String> command = new ArrayList<>(List.of("nbdkit", "-f", "--exit-with-parent", "-U", socket.toString()));
    command.addAll(List.of(arguments));
    process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("nbdkit.log").toFile()).start();
    for (int i = 0; i < 500 && !Files.exists(socket); i++) {
      if (!process.isAlive()) fail("nbdkit exited: " + Files.readString(dir.resolve("nbdkit.log")));
      Thread.sleep(20);
    }
    if (!Files.exists(socket)) fail("nbdkit did not create its socket " + socket);
  }

  public NbdAddress address() {
    return NbdAddress.parse("nbd+unix:///?socket=" + socket);
  }

  public long pid() {
    return process.pid();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
