package io.bootcache.client.partition;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * A JVM of the test's own classpath running a main class as a process of its own (a node, or
 * {@code bootcache nbd}), on this host or inside a network namespace. Its output goes to a log file,
 * and a test can wait for a line that contains some text, or for the process to exit.
 */
public final class HostProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final List<String> lines = new ArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();

  private record Waiter(String text, CompletableFuture<String> line) {}

  private HostProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code java MAIN ARGS} with the heap given and Ignite's --add-opens; {@code wrap} may put a
   * prefix before the command (e.g. {@link NetworkNamespaces#exec}).
   */
  public static HostProcess java(String name, String heap, String mainClass, List<String> args,
      UnaryOperator<List<String>> wrap, Path logDir) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
        "-DIGNITE_QUIET=true", "-DIGNITE_NO_ASCII=true", "-DIGNITE_UPDATE_NOTIFIER=false"));
    cmd.addAll(opens());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    Process p = new ProcessBuilder(wrap.apply(cmd)).redirectErrorStream(true).start();
    HostProcess h = new HostProcess(name, p, log);
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly, "kill " + name)); // a test JVM stopped mid-run
    Thread reader = new Thread(h::pump, "output of " + name);
    reader.setDaemon(true);
    reader.start();
    return h;
  }

  /** The --add-opens Ignite needs, as the build gave them to this test JVM. */
  static List<String> opens() {
    List<String> opens = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens")).toList();
    if (opens.isEmpty()) throw new IllegalStateException("this test JVM was started without Ignite's --add-opens");
    return opens;
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
             StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
      for (String line; (line = r.readLine()) != null; ) {
        out.println(line);
        synchronized (this) {
          lines.add(line);
          for (Waiter w : waiters) if (line.contains(w.text())) w.line().complete(line);
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      synchronized (this) {
        for (Waiter w : waiters) {
          w.line().completeExceptionally(new IllegalStateException(name + " ended without printing '" + w.text() + "'"));
        }
      }
    }
  }

  /** Completes with the first line, printed from now on or before, that contains {@code text}. */
  public synchronized CompletableFuture<String> line(String text) {
    CompletableFuture<String> f = new CompletableFuture<>();
    for (String l : lines) if (l.contains(text)) f.complete(l);
    waiters.add(new Waiter(text, f));
    return f;
  }

  /** Waits for a line that contains {@code text}; fails with the log's path if it does not come. */
  public String await(String text, Duration within) throws Exception {
    try {
      return line(text).get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(name + " did not print '" + text + "' within " + within + " (see " + log + ")");
    }
  }

  /** The last line so far that starts with {@code prefix}, or null. */
  public synchronized String lastLine(String prefix) {
    for (int i = lines.size() - 1; i >= 0; i--) if (lines.get(i).startsWith(prefix)) return lines.get(i);
    return null;
  }

  /** True if a line so far contains {@code text}. */
  public synchronized boolean printed(String text) {
    return lines.stream().anyMatch(l -> l.contains(text));
  }

  /** The exit code, once the process exits within the time given; -1 if it is still running. */
  public int exitCode(Duration within) throws InterruptedException {
    return process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  public long pid() { return process.pid(); }
  public boolean alive() { return process.isAlive(); }
  public String name() { return name; }
  public Path log() { return log; }

  /** kill -9. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGSTOP or SIGCONT. */
  public void signal(String signal) throws IOException {
    NetworkNamespaces.run("kill", "-" + signal, Long.toString(process.pid()));
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) kill();
  }
}
