package io.bootcache.sim.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The yardstick: Debian's redis-server on a free loopback port, measured with redis-benchmark
 * (GET of 4 KiB values) at the same concurrencies. The server is started here and stopped here.
 */
public final class RedisBench implements AutoCloseable {
  public record Result(int concurrency, double opsPerSecond, double p50Ms) {}

  private static final Pattern GET = Pattern.compile("GET: ([0-9.]+) requests per second(?:, p50=([0-9.]+) msec)?");
  private final Path benchmark;
  private final Process server;
  private final int port;

  private RedisBench(Path benchmark, Process server, int port) {
    this.benchmark = benchmark;
    this.server = server;
    this.port = port;
  }

  /** Starts a redis-server if both programs are on the PATH; empty otherwise. */
  public static Optional<RedisBench> start() throws IOException, InterruptedException {
    Optional<Path> serverBin = onPath("redis-server");
    Optional<Path> benchBin = onPath("redis-benchmark");
    if (serverBin.isEmpty() || benchBin.isEmpty()) return Optional.empty();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Process p = new ProcessBuilder(serverBin.get().toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--daemonize", "no")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    RedisBench r = new RedisBench(benchBin.get(), p, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!r.accepting()) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        r.close();
        throw new IOException("redis-server did not start on port " + port);
      }
      Thread.sleep(50);
    }
    // GET needs the key to exist with a 4 KiB value: redis-benchmark's SET writes "key:__rand_int__"
    r.benchmark("-t", "set", "-d", "4096", "-c", "1", "-n", "100", "-q");
    return Optional.of(r);
  }

  public Result get(int concurrency, int requests) throws IOException, InterruptedException {
    String out = benchmark("-t", "get", "-d", "4096", "-c", Integer.toString(concurrency), "-n", Integer.toString(requests), "-q");
    Matcher m = GET.matcher(out);
    Result last = null;
    while (m.find()) {
      last = new Result(concurrency, Double.parseDouble(m.group(1)), m.group(2) == null ? Double.NaN : Double.parseDouble(m.group(2)));
    }
    if (last == null) throw new IOException("no GET figure in redis-benchmark's output: " + out);
    return last;
  }

  private String benchmark(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(benchmark.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("redis-benchmark did not finish");
    }
    return new String(out, StandardCharsets.UTF_8).replace('\r', '\n');
  }

  private boolean accepting() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) return Optional.empty();
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  @Override
  public void close() throws InterruptedException {
    server.destroy();
    if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly();
  }
}
