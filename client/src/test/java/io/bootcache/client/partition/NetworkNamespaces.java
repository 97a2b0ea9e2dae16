package io.bootcache.client.partition;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hosts of a test as network namespaces on this machine: each one joined to a bridge by a veth pair,
 * with an address of a /24 that only they and the bridge (this namespace's side) use. {@link #cut}
 * takes a host's link down at the bridge, {@link #heal} brings it back. Names and the subnet are
 * drawn at random so that two runs never meet; {@link #close} removes everything it made, whatever
 * state the test left it in. Needs root and {@code ip} (iproute2).
 */
public final class NetworkNamespaces implements AutoCloseable {
  private final String prefix;
  private final String subnet; // "10.A.B."
  private final int hosts;
  private final List<String> made = new ArrayList<>();
  private boolean bridgeMade;

  private NetworkNamespaces(int hosts) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    this.prefix = String.format("bc%05x", r.nextInt(1 << 20));
    this.subnet = "10." + (100 + r.nextInt(100)) + "." + r.nextInt(250) + ".";
    this.hosts = hosts;
  }

  /** Why namespaces cannot be made here, or empty if they can. */
  public static Optional<String> unavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of("network namespaces need root (running as " + System.getProperty("user.name") + ")");
    }
    String probe = String.format("bcprobe%05x", ThreadLocalRandom.current().nextInt(1 << 20));
    try {
      run("ip", "netns", "add", probe);
      run("ip", "netns", "delete", probe);
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("`ip netns` does not work here: " + e.getMessage());
    }
  }

  /** Makes the bridge and {@code hosts} namespaces on it; on failure, removes what it made. */
  public static NetworkNamespaces create(int hosts) throws IOException {
    NetworkNamespaces n = new NetworkNamespaces(hosts);
    // a test JVM stopped mid-run still removes them
    Runtime.getRuntime().addShutdownHook(new Thread(n::close, "remove " + n.prefix));
    try {
      n.build();
      return n;
    } catch (IOException | RuntimeException e) {
      n.close();
      throw e;
    }
  }

  private void build() throws IOException {
    run("ip", "link", "add", bridge(), "type", "bridge");
    bridgeMade = true;
    run("ip", "addr", "add", bridgeAddress() + "/24", "dev", bridge());
    run("ip", "link", "set", bridge(), "up");
    for (int i = 0; i < hosts; i++) {
      String ns = namespace(i);
      run("ip", "netns", "add", ns);
      made.add(ns);
      // the pair's inner end moves into the namespace; deleting the namespace deletes both ends
      run("ip", "link", "add", outer(i), "type", "veth", "peer", "name", inner(i));
      run("ip", "link", "set", inner(i), "netns", ns);
      run("ip", "link", "set", outer(i), "master", bridge(), "up");
      run("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", inner(i));
      run("ip", "netns", "exec", ns, "ip", "link", "set", inner(i), "up");
      run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
    }
  }

  public String namespace(int i) { return prefix + "-" + i; }
  /** Host i's address. */
  public String address(int i) { return subnet + (11 + i); }
  /** This (the test's) namespace's address on the bridge. */
  public String bridgeAddress() { return subnet + "1"; }
  private String bridge() { return prefix + "br"; }
  private String outer(int i) { return prefix + "o" + i; }
  private String inner(int i) { return prefix + "i" + i; }

  /** Cuts host i off: its link to the bridge goes down, so no packet reaches it or leaves it. */
  public void cut(int i) throws IOException {
    run("ip", "link", "set", outer(i), "down");
  }

  public void heal(int i) throws IOException {
    run("ip", "link", "set", outer(i), "up");
  }

  /** The command line that runs a program inside host i. */
  public List<String> exec(int i, List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace(i)));
    cmd.addAll(command);
    return cmd;
  }

  @Override
  public synchronized void close() {
    for (String ns : made) quietly("ip", "netns", "delete", ns);
    for (int i = 0; i < hosts; i++) quietly("ip", "link", "delete", outer(i));
    if (bridgeMade) quietly("ip", "link", "delete", bridge());
    made.clear();
    bridgeMade = false;
  }

  private static void quietly(String... cmd) {
    try {
      run(cmd);
    } catch (IOException e) {
      // already gone (a veth goes with its namespace)
    }
  }

  static void run(String... cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": no answer in 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
  }
}
