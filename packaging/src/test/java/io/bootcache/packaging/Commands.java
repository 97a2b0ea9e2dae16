package io.bootcache.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the system's tools (dpkg, systemd-analyze...) with a timeout; a missing tool fails the test, never skips it. */
final class Commands {
  static final long TIMEOUT_SECONDS = 120;

  private Commands() {}

  record Result(int exit, String out, String err) {
    Result ok() {
      assertEquals(0, exit, () -> "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err);
      return this;
    }
  }

  static Result run(String... command) {
    return run(Map.of(), List.of(command));
  }

  static Result run(Map<String, String> environment, List<String> command) {
    require(command.get(0));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("LC_ALL", "C");
    pb.environment().putAll(environment);
    try {
      Path out = Files.createTempFile("command", ".out");
      Path err = Files.createTempFile("command", ".err");
      try {
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
      } finally {
        Files.delete(out);
        Files.delete(err);
      }
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("running " + command + " failed", e);
    }
  }

  /** Fails the test if a tool is not installed; .ci/run installs them. */
  static void require(String tool) {
    if (tool.contains("/")) return;
    boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    if (!found) fail(tool + " is not installed: the packaging tests need it (Debian: apt-get install -y dpkg systemd)");
  }
}
