package io.bootcache.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node as a JVM process of its own ({@code java io.bootcache.node.Main} on the test's classpath),
 * for tests that must see what a real process does: its memory, its exit, its restart.
 */
final class NodeProcess implements AutoCloseable {
  final Process process;
  final int adminPort;
  /** What the node printed, line by line. */
  final List<String> output = Collections.synchronizedList(new ArrayList<>());
  /** Completes once the node serves; fails if it exits first. */
  final CompletableFuture<Void> up = new CompletableFuture<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private NodeProcess(Process process, int adminPort) {
    this.process = process;
    this.adminPort = adminPort;
  }

  /** Starts a node with these JVM options and node options; {@code --admin-port} must be among the latter. */
  static NodeProcess start(List<String> jvmOptions, List<String> nodeOptions) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseSerialGC", "-Djava.net.preferIPv4Stack=true"));
    cmd.addAll(opens());
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.bootcache.node.Main"));
    cmd.addAll(nodeOptions);
    int admin = Integer.parseInt(nodeOptions.get(nodeOptions.indexOf("--admin-port") + 1));
    NodeProcess node = new NodeProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start(), admin);
    Thread reader = new Thread(node::readOutput, "node-output-" + node.process.pid());
    reader.setDaemon(true);
    reader.start();
    return node;
  }

  private void readOutput() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        output.add(line);
        if (line.contains(" up: ")) up.complete(null);
      }
      up.completeExceptionally(new AssertionError("the node exited with " + process.waitFor() + ":\n"
          + String.join("\n", output)));
    } catch (IOException | InterruptedException e) {
      up.completeExceptionally(e);
    }
  }

  NodeProcess awaitUp() throws Exception {
    up.get(120, TimeUnit.SECONDS);
    return this;
  }

  /** The --add-opens Ignite needs, as the build gave them to this test JVM. */
  static List<String> opens() {
    List<String> opens = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens")).toList();
    if (opens.isEmpty()) throw new IllegalStateException("this test JVM was started without Ignite's --add-opens");
    return opens;
  }

  /** GET of the admin endpoint: status and body. */
  HttpResponse<String> admin(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A metric of /metrics (the first sample of that name and labels), or -1 if absent. */
  long metric(String nameAndLabels) throws IOException, InterruptedException {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " ([0-9.eE+-]+)$").matcher(admin("/metrics").body());
    return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
  }

  /** The process's resident set, from the kernel. */
  long residentBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }
    throw new IllegalStateException("no VmRSS for " + process.pid());
  }

  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }
}
