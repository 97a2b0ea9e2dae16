package io.bootcache.client.partition;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Three node processes, each on a host of its own: a network namespace when this machine can make
 * them (then a partition is a cut link), else loopback ports (then a partition is stood in for by
 * SIGSTOP). Knows how to kill, cut off, heal and start again each node, as a supervisor would.
 */
public final class NodeHosts implements AutoCloseable {
  public static final int COUNT = 3;
  private final NetworkNamespaces namespaces; // null: loopback
  private final Path dir;
  private final Path logs;
  private final int base;
  private final String memory;
  private final HostProcess[] nodes = new HostProcess[COUNT];
  private final List<HostProcess> started = new ArrayList<>();

  private NodeHosts(NetworkNamespaces namespaces, Path dir, Path logs, String memory) {
    this.namespaces = namespaces;
    this.dir = dir;
    this.logs = logs;
    this.memory = memory;
    this.base = 20_000 + 100 * ThreadLocalRandom.current().nextInt(400);
  }

  /** Starts the three nodes (the first alone, then the others) and waits until they serve. */
  public static NodeHosts start(Path dir, Path logs, boolean useNamespaces, String memory) throws Exception {
    NodeHosts h = new NodeHosts(useNamespaces ? NetworkNamespaces.create(COUNT) : null, dir, logs, memory);
    try {
      h.startNode(0).await(" up: ", Duration.ofSeconds(90));
      h.startNode(1);
      h.startNode(2);
      for (int i = 1; i < COUNT; i++) h.nodes[i].await(" up: ", Duration.ofSeconds(90));
      return h;
    } catch (Exception | Error e) {
      h.close();
      throw e;
    }
  }

  public boolean namespaces() { return namespaces != null; }

  /** How a partition is made here, for the output. */
  public String partitionKind() {
    return namespaces != null ? "netns link cut" : "SIGSTOP (stand-in: no network namespaces here)";
  }

  private String host(int i) { return namespaces != null ? namespaces.address(i) : "127.0.0.1"; }
  private int port(int i, int which) { return namespaces != null ? 7400 + which : base + 20 + 10 * which + i; }
  private int discoveryPort(int i) { return namespaces != null ? 47500 : base + 2 * i; }

  /** "host:port" of node i's gRPC. */
  public String grpc(int i) { return host(i) + ":" + port(i, 0); }

  public List<String> grpcAddresses() {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < COUNT; i++) all.add(grpc(i));
    return all;
  }

  public HostProcess node(int i) { return nodes[i]; }

  /** Starts node i's process (again) on its data directory; it serves once it prints " up: ". */
  public HostProcess startNode(int i) throws IOException {
    List<String> seeds = new ArrayList<>();
    for (int j = 0; j < COUNT; j++) seeds.add(host(j) + ":" + discoveryPort(j));
    List<String> args = new ArrayList<>(List.of("--name", "node-" + i, "--bind", host(i),
        "--grpc-port", "" + port(i, 0), "--admin-port", "" + port(i, 1),
        "--discovery-port", "" + discoveryPort(i), "--communication-port", "" + (discoveryPort(i) + 1000),
        "--seed", String.join(",", seeds), "--data-dir", dir.resolve("node-" + i).toString(),
        // with a node down, the other two hold every partition of every metadata cache, and the two linked
        // clones' written bytes: 48m filled then, and the linked clones went stale ("layer memory is full")
        "--memory", memory, "--meta-memory", "96m", "--host-memory", "0"));
    if (namespaces != null) args.add("--insecure");
    HostProcess p = HostProcess.java("node-" + i + "-" + started.size(), "256m", "io.bootcache.node.Main", args,
        cmd -> namespaces != null ? namespaces.exec(i, cmd) : cmd, logs);
    started.add(p);
    nodes[i] = p;
    return p;
  }

  /** kill -9 of node i. */
  public void kill(int i) throws InterruptedException {
    nodes[i].kill();
  }

  /** Cuts node i off the others (and off this process). */
  public void partition(int i) throws IOException {
    if (namespaces != null) namespaces.cut(i);
    else nodes[i].signal("STOP");
  }

  public void heal(int i) throws IOException {
    if (namespaces != null) namespaces.heal(i);
    else nodes[i].signal("CONT");
  }

  @Override
  public void close() throws Exception {
    for (HostProcess p : started) {
      if (p.alive() && namespaces == null) p.signal("CONT");
      p.close();
    }
    if (namespaces != null) namespaces.close();
  }
}
