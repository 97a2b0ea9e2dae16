package io.bootcache.nbd;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the real NBD and QEMU tools (nbdinfo, nbdcopy, qemu-img, qemu-io) as processes with a timeout.
 * A missing tool fails the test with a message that says what to install; it never skips.
 */
public final class Tools {
  private Tools() {}

  static final long TIMEOUT_SECONDS = 120;

  public record Result(int exit, String out, String err) {
    public Result ok() {
      assertEquals(0, exit, () -> "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err);
      return this;
    }
  }

  /** Fails the test if a tool is not on the PATH. */
  public static void require(String... tools) {
    for (String tool : tools) {
      boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
          .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
      if (!found) {
        fail(tool + " is not installed: the NBD tests need it (Debian: apt-get install -y qemu-utils libnbd-bin)");
      }
    }
  }

  public static Result run(String... command) {
    return run(List.of(command));
  }

  public static Result run(List<String> command) {
    require(command.get(0));
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command));
    pb.environment().put("LC_ALL", "C");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    }
    try {
      p.getOutputStream().close();
    } catch (IOException ignored) {
      // nothing to send
    }
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      p.destroyForcibly();
      throw new AssertionError("running " + command + " failed", e);
    }
  }

  private static CompletableFuture<String> drain(InputStream in) {
    return CompletableFuture.supplyAsync(() -> {
      try (in) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(unreadable: " + e + ")";
      }
    });
  }
}
