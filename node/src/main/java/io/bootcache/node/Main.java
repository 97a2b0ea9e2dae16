package io.bootcache.node;

import io.bootcache.node.cluster.ExitOnFailure;
import io.bootcache.node.cluster.MinorityWatch;
import io.bootcache.tls.TlsFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar bootcache-node.jar}: runs a node. With no arguments, a working one-node cluster
 * on 127.0.0.1. Every option can also come from an environment variable (BOOTCACHE_ and the
 * option's name, e.g. BOOTCACHE_GRPC_PORT) or a properties file given with --config (key: the
 * option's name, e.g. grpc-port=7400); a flag beats the environment, which beats the file.
 */
@Command(name = "bootcache-node", mixinStandardHelpOptions = true, version = "bootcache-node 0.1.0",
    sortOptions = false, usageHelpAutoWidth = true,
    description = "Runs a bootcache node: an embedded Apache Ignite server holding the cluster's boot-data cache, "
        + "served over gRPC, with an HTTP admin endpoint (/health, /metrics, /images).")
public final class Main implements Callable<Integer> {
  @Spec
  CommandSpec spec;
  @Option(names = "--config", paramLabel = "FILE", description = "A properties file of options (key = option name).")
  Path configFile;
  @Option(names = "--name", description = "Node name, unique in the cluster (default: bootcache-<pid>).")
  String name;
  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to bind and advertise (default: ${DEFAULT-VALUE}).")
  String bind;
  @Option(names = "--grpc-port", defaultValue = "" + NodeConfig.DEFAULT_GRPC_PORT, description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int grpcPort;
  @Option(names = "--admin-port", defaultValue = "" + NodeConfig.DEFAULT_ADMIN_PORT, description = "HTTP admin port (default: ${DEFAULT-VALUE}).")
  int adminPort;
  @Option(names = "--discovery-port", defaultValue = "" + NodeConfig.DEFAULT_DISCOVERY_PORT,
      description = "First Ignite discovery port; the node takes the first free of ten (default: ${DEFAULT-VALUE}).")
  int discoveryPort;
  @Option(names = "--communication-port", defaultValue = "" + NodeConfig.DEFAULT_COMMUNICATION_PORT,
      description = "First Ignite communication port (default: ${DEFAULT-VALUE}).")
  int communicationPort;
  @Option(names = "--seed", split = ",", paramLabel = "HOST[:PORT]",
      description = "Discovery address of a node to join; repeat or comma-separate. Port default 47500..47509.")
  List<String> seeds = new ArrayList<>();
  @Option(names = "--discovery", defaultValue = "static", paramLabel = "static|kubernetes",
      description = "How to find the other nodes: static (this node's ports and --seed) or kubernetes "
          + "(the endpoints of --k8s-service) (default: ${DEFAULT-VALUE}).")
  String discovery;
  @Option(names = "--k8s-namespace", defaultValue = "default", paramLabel = "NAMESPACE",
      description = "With --discovery kubernetes: the service's namespace (default: ${DEFAULT-VALUE}).")
  String k8sNamespace;
  @Option(names = "--k8s-service", defaultValue = "bootcache", paramLabel = "NAME",
      description = "With --discovery kubernetes: the headless service whose endpoints are the nodes (default: ${DEFAULT-VALUE}).")
  String k8sService;
  @Option(names = "--data-dir", defaultValue = "bootcache-data", description = "Metadata and boot profiles (default: ${DEFAULT-VALUE}).")
  Path dataDir;
  @Option(names = "--memory", defaultValue = "256m", description = "Cap of the cached-blocks region, e.g. 256m, 4g (default: ${DEFAULT-VALUE}).")
  String memory;
  @Option(names = "--meta-memory", defaultValue = "128m", description = "Cap of the metadata region (default: ${DEFAULT-VALUE}).")
  String metaMemory;
  @Option(names = "--host-memory", defaultValue = "256m",
      description = "Off-heap bytes of the blocks this host's VMs boot from, kept on this host; 0 = off "
          + "(default: ${DEFAULT-VALUE}; counts against the JVM's -XX:MaxDirectMemorySize).")
  String hostMemory;
  @Option(names = "--manifest-memory", defaultValue = "256m",
      description = "Cap of the block manifests of images registered with --pin-blocks, off-heap and taken as it fills: "
          + "32 bytes per block, 8 MiB per GiB of image in 4 KiB blocks; at least 16m (default: ${DEFAULT-VALUE}).")
  String manifestMemory;
  @Option(names = "--disk-cache", paramLabel = "DIR",
      description = "Keep the blocks of the boots this host served, and the cluster's disk layers, in DIR on local disk, "
          + "so that a restarted node (or cluster) comes back warm; every node of a cluster needs it or none.")
  Path diskCache;
  @Option(names = "--disk-cache-size", defaultValue = "4g",
      description = "Cap of the blocks kept in --disk-cache (default: ${DEFAULT-VALUE}).")
  String diskCacheSize;
  @Option(names = "--rejoin-grace", defaultValue = "2m",
      description = "With --disk-cache: how long a node that left is waited for (its disk layers on its disk) before "
          + "the disks that had writes only there go stale; also how long a restarted cluster waits for all its nodes "
          + "(default: ${DEFAULT-VALUE}).")
  String rejoinGrace;
  @Option(names = "--initial-nodes", paramLabel = "N", defaultValue = "1",
      description = "With --disk-cache: a new cluster waits until N nodes have joined before it first activates, so that "
          + "its first metadata is written to all of them; give every node of a new cluster the number it starts with "
          + "(default: ${DEFAULT-VALUE}).")
  int initialNodes;
  @Option(names = "--backups", defaultValue = "1", description = "Backup copies of each cached entry (default: ${DEFAULT-VALUE}).")
  int backups;
  @Option(names = "--backend-iops", defaultValue = "0", description = "Backend reads per second this node may issue; 0 = unlimited.")
  long backendIops;
  @Option(names = "--backend-bandwidth", defaultValue = "0", description = "Backend bytes per second, e.g. 100m; 0 = unlimited.")
  String backendBandwidth;
  @Option(names = "--backend-latency", defaultValue = "0ms",
      description = "Latency added to every backend read, to stand in for slow shared storage, e.g. 2ms (default: ${DEFAULT-VALUE}).")
  String backendLatency;
  @Option(names = "--boot-window", defaultValue = "5m", description = "How long a boot session stays open, e.g. 300s, 5m (default: ${DEFAULT-VALUE}).")
  String bootWindow;
  @Option(names = "--max-request", defaultValue = "4m", description = "Largest range one fetch may ask for (default: ${DEFAULT-VALUE}).")
  String maxRequest;
  @Option(names = "--trust-recorded-reads", defaultValue = "false",
      description = "Let read data sent by recorders fill the cache (only when every recorder is trusted).")
  boolean trustRecordedReads;
  @Option(names = "--nbd", paramLabel = "HOST:PORT",
      description = "Serve the cluster's images and disks over NBD on this TCP address, from this node's own read path "
          + "(e.g. 127.0.0.1:10809; port 0 picks a free one).")
  String nbd;
  @Option(names = "--nbd-socket", paramLabel = "PATH",
      description = "Serve NBD on this Unix socket too (nbd+unix:///EXPORT?socket=PATH), as qemu-nbd -k and nbdkit -U do.")
  Path nbdSocket;
  @Option(names = "--nbd-idle-timeout", defaultValue = "30s",
      description = "An NBD connection's boot ends after this long without requests (default: ${DEFAULT-VALUE}).")
  String nbdIdleTimeout;
  @Option(names = "--fetch-queue", defaultValue = "64m", paramLabel = "SIZE",
      description = "Answer bytes queued per FetchStream at most; past them the node stops reading that stream's "
          + "requests until the client reads (default: ${DEFAULT-VALUE}).")
  String fetchQueue;
  @Option(names = "--fetch-queue-total", defaultValue = "256m", paramLabel = "SIZE",
      description = "Answer bytes queued over all FetchStreams at most; past them every stream waits, each still taking "
          + "one request at a time (default: ${DEFAULT-VALUE}).")
  String fetchQueueTotal;
  @Option(names = "--nbd-queue", defaultValue = "64m", paramLabel = "SIZE",
      description = "Bytes of reads and their answers held per NBD connection at most; past them the node stops reading "
          + "that connection (default: ${DEFAULT-VALUE}).")
  String nbdQueue;
  @Option(names = "--nbd-max-requests", defaultValue = "512", paramLabel = "N",
      description = "NBD requests in flight per connection at most (default: ${DEFAULT-VALUE}).")
  int nbdMaxRequests;
  @Option(names = "--nbd-max-connections", defaultValue = "256", paramLabel = "N",
      description = "NBD connections open at once; more are closed, with a log line (default: ${DEFAULT-VALUE}).")
  int nbdMaxConnections;
  @Option(names = "--grpc-max-connections", defaultValue = "4096", paramLabel = "N",
      description = "gRPC connections open at once (clients, recorders, bootcache nbd: a few each per node); more are "
          + "closed at once, with a log line (default: ${DEFAULT-VALUE}).")
  int grpcMaxConnections;
  @Option(names = "--nbd-handshake-timeout", defaultValue = "10s",
      description = "An NBD client must finish its whole handshake within this time (default: ${DEFAULT-VALUE}).")
  String nbdHandshakeTimeout;
  @Option(names = "--max-images", defaultValue = "4096", paramLabel = "N",
      description = "Images the cluster registers at most; more are refused with RESOURCE_EXHAUSTED "
          + "(default: ${DEFAULT-VALUE}).")
  int maxImages;
  @Option(names = "--max-disks", defaultValue = "65536", paramLabel = "N",
      description = "Disks the cluster registers at most (default: ${DEFAULT-VALUE}).")
  int maxDisks;
  @Option(names = "--max-sessions", defaultValue = "65536", paramLabel = "N",
      description = "Boot sessions the cluster keeps at most: open ones, and ended ones until they expire a minute "
          + "after their boot window (default: ${DEFAULT-VALUE}).")
  int maxSessions;
  @Option(names = "--tls-cert", paramLabel = "FILE",
      description = "This node's certificate (PEM, with any intermediates after it): gRPC, the admin endpoint, Ignite "
          + "and NBD over TCP then speak TLS, and clients must show a certificate of --tls-ca.")
  Path tlsCert;
  @Option(names = "--tls-key", paramLabel = "FILE", description = "This node's private key (PEM, unencrypted PKCS#8).")
  Path tlsKey;
  @Option(names = "--tls-ca", paramLabel = "FILE",
      description = "The CA (PEM) whose certificates this node accepts from clients and from other nodes.")
  Path tlsCa;
  @Option(names = "--grants", paramLabel = "FILE",
      description = "With TLS: which principal (a client certificate's subject CN) may do what, "
          + "one grant a line: PRINCIPAL = admin|host|reader[: images=ID,ID disks=ID,ID].")
  Path grants;
  @Option(names = "--image-root", split = "\\s*,\\s*", paramLabel = "DIR",
      description = "Only regular files under this directory may be registered as images (symlinks resolved); "
          + "repeat or comma-separate (default: ${sys:java.io.tmpdir}).")
  List<Path> imageRoots = new ArrayList<>();
  @Option(names = "--disk-root", split = "\\s*,\\s*", paramLabel = "DIR",
      description = "Only regular files under this directory may be registered as full clones, which NBD writes into; "
          + "repeat or comma-separate (default: ${sys:java.io.tmpdir}).")
  List<Path> diskRoots = new ArrayList<>();
  @Option(names = "--insecure", defaultValue = "false",
      description = "Serve without TLS on an address other hosts reach (--bind or --nbd not on loopback): "
          + "only on a network you trust.")
  boolean insecure;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String... args) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setDefaultValueProvider(new EnvironmentAndFile(configFileOf(args)));
    // one line that says what is wrong, rather than the whole usage after it
    cmd.setParameterExceptionHandler((ex, given) -> {
      cmd.getErr().println("bootcache-node: " + ex.getMessage() + " (see --help)");
      cmd.getErr().flush();
      return 2;
    });
    return cmd.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig config = config();
    String noRoom = DirectMemory.shortfall(config.hostTierBytes(), DirectMemory.max());
    // else NBD connections drop once the host tier has filled the direct memory
    if (noRoom != null) throw new CommandLine.ParameterException(spec.commandLine(), noRoom);
    if (config.joinOnly()) {
      System.out.printf("bootcache node %s was in a cluster of %d: it joins through its seeds only, and waits for them "
          + "(delete %s to let it begin a cluster alone)%n", config.nodeName(), MinorityWatch.recorded(config.dataDir()),
          config.dataDir().resolve(MinorityWatch.FILE));
    }
    BootCacheNode node = BootCacheNode.start(config);
    MinorityWatch minority = MinorityWatch.start(node.ignite(), config.dataDir(), message -> {
      System.err.println(message + "; exiting (" + ExitOnFailure.SEGMENTED + ") to rejoin through its seeds");
      System.err.flush();
      Runtime.getRuntime().halt(ExitOnFailure.SEGMENTED);
    });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      minority.close();
      node.close();
      stopped.countDown();
    }, "bootcache-shutdown"));
    System.out.printf("bootcache node %s up: gRPC %s%s, admin %s://%s:%d/, discovery %s, %d node(s) in the cluster%s%n",
        config.nodeName(), node.grpcAddress(), config.tls() == null ? "" : " (TLS)", config.tls() == null ? "http" : "https",
        config.bindHost(), node.adminPort(), node.discoveryAddress(),
        node.ignite().cluster().forServers().nodes().size(), node.nbdUris().isEmpty() ? "" : ", NBD " + node.nbdUris());
    System.out.println("  " + config);
    stopped.await();
    return 0;
  }

  /** The node configuration the options describe. */
  NodeConfig config() {
    NodeConfig.Builder b = NodeConfig.builder()
        .bindHost(bind).grpcPort(grpcPort).adminPort(adminPort)
        .discoveryPort(discoveryPort).communicationPort(communicationPort)
        .seeds(seeds.stream().map(String::trim).filter(x -> !x.isEmpty()).toList()).discovery(discovery(discovery))
        .kubernetesNamespace(k8sNamespace).kubernetesService(k8sService)
        .dataDir(dataDir)
        .blocksRegionBytes(bytes(memory)).metaRegionBytes(bytes(metaMemory)).hostTierBytes(bytes(hostMemory))
        .manifestRegionBytes(bytes(manifestMemory))
        .backups(backups)
        .backendIops(backendIops).backendBytesPerSecond(bytes(backendBandwidth))
        .backendLatency(duration(backendLatency))
        .bootWindow(duration(bootWindow)).maxRequestBytes(bytes(maxRequest))
        .trustRecordedReads(trustRecordedReads)
        .nbdIdleTimeout(duration(nbdIdleTimeout));
    if (nbd != null) {
      int colon = nbd.lastIndexOf(':');
      int port;
      try {
        port = Integer.parseInt(nbd.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (colon <= 0 || port < 0 || port > 65535) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--nbd wants HOST:PORT, got '" + nbd + "'");
      }
      b.nbd(nbd.substring(0, colon), port);
    }
    if (nbdSocket != null) b.nbdSocket(nbdSocket);
    if (diskCache != null) b.diskCacheDir(diskCache);
    b.diskCacheBytes(bytes(diskCacheSize)).rejoinGrace(duration(rejoinGrace)).initialNodes(initialNodes);
    if (name != null) b.nodeName(name);
    // a process of its own: critical failures and minorities end it for its supervisor to start again
    b.exitOnFailure(true).joinOnly(discovery(discovery) == NodeConfig.Discovery.STATIC && MinorityWatch.recorded(dataDir) > 1);
    try {
      if (!imageRoots.isEmpty()) b.imageRoots(imageRoots);
      if (!diskRoots.isEmpty()) b.diskRoots(diskRoots);
      b.limits(new Limits(bytes(fetchQueue), bytes(fetchQueueTotal), bytes(nbdQueue), nbdMaxRequests, nbdMaxConnections,
          duration(nbdHandshakeTimeout), maxImages, maxDisks, maxSessions, grpcMaxConnections));
      TlsFiles tls = TlsFiles.fromOptions(tlsCert, tlsKey, tlsCa);
      if (tls != null) b.tls(tls);
      if (grants != null) b.grants(grants);
      return b.insecure(insecure).build();
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }


  /** Parses static or kubernetes. */
  static NodeConfig.Discovery discovery(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "static" -> NodeConfig.Discovery.STATIC;
      case "kubernetes", "k8s" -> NodeConfig.Discovery.KUBERNETES;
      default -> throw new CommandLine.TypeConversionException("--discovery is static or kubernetes, got '" + s + "'");
    };
  }

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([kmgt])(?:i?b)?|b)?");

  /** Parses 4096, 512k, 256m, 256MiB, 4g, 4GB (powers of 1024, as the simulator and the CLI read them). */
  static long bytes(String s) {
    Matcher m = SIZE.matcher(s.trim().toLowerCase(Locale.ROOT));
    try {
      if (!m.matches()) throw new NumberFormatException();
      int shift = m.group(2) == null ? 0 : 10 * ("kmgt".indexOf(m.group(2)) + 1);
      long n = Long.parseLong(m.group(1));
      if (shift > 0 && n > Long.MAX_VALUE >> shift) throw new ArithmeticException();
      return n << shift;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new CommandLine.TypeConversionException("'" + s + "' is not a size like 4096, 512k, 256m, 256MiB or 4g");
    }
  }

  /** Parses 250ms, 30s, 5m, 1h, or plain seconds. */
  static Duration duration(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      if (v.endsWith("s")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      if (v.endsWith("m")) return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      if (v.endsWith("h")) return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
      return Duration.ofSeconds(Long.parseLong(v));
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + s + "' is not a duration like 250ms, 30s, 5m or 1h");
    }
  }

  private static Path configFileOf(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) return Path.of(args[i + 1]);
      if (args[i].startsWith("--config=")) return Path.of(args[i].substring("--config=".length()));
    }
    String env = System.getenv("BOOTCACHE_CONFIG");
    return env == null ? null : Path.of(env);
  }

  /** Defaults from BOOTCACHE_* environment variables, then from the config file. */
  static final class EnvironmentAndFile implements CommandLine.IDefaultValueProvider {
    private final Properties file = new Properties();

    EnvironmentAndFile(Path configFile) {
      if (configFile == null) return;
      try (InputStream in = Files.newInputStream(configFile)) {
        file.load(in);
      } catch (IOException e) {
        throw new CommandLine.InitializationException("cannot read the config file " + configFile + ": " + e.getMessage());
      }
    }

    @Override
    public String defaultValue(ArgSpec arg) {
      if (!(arg instanceof OptionSpec option)) return null;
      String key = option.longestName().replaceFirst("^--", "");
      String env = System.getenv("BOOTCACHE_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
      if (env != null) return env;
      return file.getProperty(key);
    }
  }
}
