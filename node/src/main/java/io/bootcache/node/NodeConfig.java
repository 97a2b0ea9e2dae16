package io.bootcache.node;

import io.bootcache.node.access.Grants;
import io.bootcache.tls.TlsFiles;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything a node can be told, immutable. Build one with {@link #builder()}; every setting has a
 * default that runs a working one-node cluster on 127.0.0.1.
 */
public final class NodeConfig {
  public static final int DEFAULT_GRPC_PORT = 7400;
  public static final int DEFAULT_ADMIN_PORT = 7401;
  public static final int DEFAULT_DISCOVERY_PORT = 47500;
  public static final int DEFAULT_COMMUNICATION_PORT = 47100;
  public static final long MIB = 1024L * 1024;
  /** The default image and disk root: where the README's walk-through and the tests keep their files. */
  private static final Path TMP = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
  /** A Kubernetes namespace or service name (an RFC 1123 DNS label). */
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  /** How a node finds the others: the given seeds, or the endpoints of a Kubernetes service. */
  public enum Discovery { STATIC, KUBERNETES }

  private final String nodeName;
  private final String bindHost;
  private final int grpcPort;
  private final int adminPort;
  private final int discoveryPort;
  private final int discoveryPortRange;
  private final int communicationPort;
  private final List<String> seeds;
  private final Discovery discovery;
  private final String kubernetesNamespace;
  private final String kubernetesService;
  private final Path dataDir;
  private final long blocksRegionBytes;
  private final long metaRegionBytes;
  private final long hostTierBytes;
  private final long manifestRegionBytes;
  private final Path diskCacheDir;
  private final long diskCacheBytes;
  private final Duration rejoinGrace;
  private final int initialNodes;
  private final int backups;
  private final long backendIops;
  private final long backendBytesPerSecond;
  private final Duration backendLatency;
  private final Duration bootWindow;
  private final long maxRequestBytes;
  private final boolean trustRecordedReads;
  private final int stripeBlocks;
  private final String nbdHost;
  private final int nbdPort;
  private final Path nbdSocket;
  private final Duration nbdIdleTimeout;
  private final Limits limits;
  private final TlsFiles tls;
  private final Path grantsFile;
  private final Grants grants;
  private final boolean insecure;
  private final List<Path> imageRoots;
  private final List<Path> diskRoots;
  private final boolean exitOnFailure;
  private final boolean joinOnly;

  private NodeConfig(Builder b) {
    this.nodeName = b.nodeName;
    this.bindHost = b.bindHost;
    this.grpcPort = b.grpcPort;
    this.adminPort = b.adminPort;
    this.discoveryPort = b.discoveryPort;
    this.discoveryPortRange = b.discoveryPortRange;
    this.communicationPort = b.communicationPort;
    this.seeds = List.copyOf(b.seeds);
    this.discovery = b.discovery;
    this.kubernetesNamespace = b.kubernetesNamespace;
    this.kubernetesService = b.kubernetesService;
    this.dataDir = b.dataDir;
    this.blocksRegionBytes = b.blocksRegionBytes;
    this.metaRegionBytes = b.metaRegionBytes;
    this.hostTierBytes = b.hostTierBytes;
    this.manifestRegionBytes = b.manifestRegionBytes;
    this.diskCacheDir = b.diskCacheDir;
    this.diskCacheBytes = b.diskCacheBytes;
    this.rejoinGrace = b.rejoinGrace;
    this.initialNodes = b.initialNodes;
    this.backups = b.backups;
    this.backendIops = b.backendIops;
    this.backendBytesPerSecond = b.backendBytesPerSecond;
    this.backendLatency = b.backendLatency;
    this.bootWindow = b.bootWindow;
    this.maxRequestBytes = b.maxRequestBytes;
    this.trustRecordedReads = b.trustRecordedReads;
    this.stripeBlocks = b.stripeBlocks;
    this.nbdHost = b.nbdHost;
    this.nbdPort = b.nbdPort;
    this.nbdSocket = b.nbdSocket;
    this.nbdIdleTimeout = b.nbdIdleTimeout;
    this.limits = b.limits;
    this.tls = b.tls;
    this.grantsFile = b.grantsFile;
    this.grants = b.grants;
    this.insecure = b.insecure;
    this.imageRoots = b.imageRoots;
    this.diskRoots = b.diskRoots;
    this.exitOnFailure = b.exitOnFailure;
    this.joinOnly = b.joinOnly;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this config's settings, to change a few. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.nodeName = nodeName;
    b.bindHost = bindHost;
    b.grpcPort = grpcPort;
    b.adminPort = adminPort;
    b.discoveryPort = discoveryPort;
    b.discoveryPortRange = discoveryPortRange;
    b.communicationPort = communicationPort;
    b.seeds = seeds;
    b.discovery = discovery;
    b.kubernetesNamespace = kubernetesNamespace;
    b.kubernetesService = kubernetesService;
    b.dataDir = dataDir;
    b.blocksRegionBytes = blocksRegionBytes;
    b.metaRegionBytes = metaRegionBytes;
    b.hostTierBytes = hostTierBytes;
    b.manifestRegionBytes = manifestRegionBytes;
    b.diskCacheDir = diskCacheDir;
    b.diskCacheBytes = diskCacheBytes;
    b.rejoinGrace = rejoinGrace;
    b.initialNodes = initialNodes;
    b.backups = backups;
    b.backendIops = backendIops;
    b.backendBytesPerSecond = backendBytesPerSecond;
    b.backendLatency = backendLatency;
    b.bootWindow = bootWindow;
    b.maxRequestBytes = maxRequestBytes;
    b.trustRecordedReads = trustRecordedReads;
    b.stripeBlocks = stripeBlocks;
    b.nbdHost = nbdHost;
    b.nbdPort = nbdPort;
    b.nbdSocket = nbdSocket;
    b.nbdIdleTimeout = nbdIdleTimeout;
    b.limits = limits;
    b.tls = tls;
    b.grantsFile = grantsFile;
    b.grants = grants;
    b.insecure = insecure;
    b.imageRoots = imageRoots;
    b.diskRoots = diskRoots;
    b.exitOnFailure = exitOnFailure;
    b.joinOnly = joinOnly;
    return b;
  }

  /** Unique within the cluster; also the Ignite instance name. */
  public String nodeName() { return nodeName; }
  /** The address gRPC, admin HTTP and Ignite bind to and advertise. */
  public String bindHost() { return bindHost; }
  /** 0 picks a free port; {@link BootCacheNode#grpcPort()} tells which. */
  public int grpcPort() { return grpcPort; }
  /** 0 picks a free port; {@link BootCacheNode#adminPort()} tells which. */
  public int adminPort() { return adminPort; }
  /** Ignite discovery: this node listens on the first free port of [port, port + range). */
  public int discoveryPort() { return discoveryPort; }
  public int discoveryPortRange() { return discoveryPortRange; }
  public int communicationPort() { return communicationPort; }
  /** Discovery addresses ("host" or "host:port" or "host:port..port") of nodes to join. */
  public List<String> seeds() { return seeds; }
  /** STATIC: this node's own port range plus {@link #seeds()}; KUBERNETES: the endpoints of a service. */
  public Discovery discovery() { return discovery; }
  /** With Kubernetes discovery: the namespace of the service whose endpoints are the nodes. */
  public String kubernetesNamespace() { return kubernetesNamespace; }
  /** With Kubernetes discovery: the (headless) service whose endpoints are the nodes. */
  public String kubernetesService() { return kubernetesService; }
  /** Where the node keeps its metadata and boot profiles (Ignite native persistence for them). */
  public Path dataDir() { return dataDir; }
  /** Hard cap of the data region holding cached block bytes on this node; pages are evicted past it. */
  public long blocksRegionBytes() { return blocksRegionBytes; }
  /** Cap of the region holding block maps, sessions and profiles. */
  public long metaRegionBytes() { return metaRegionBytes; }
  /**
   * Off-heap bytes of the host tier: the image blocks this host's VMs boot from, kept on this host so
   * that a hit makes no Ignite call and crosses no network. 0 turns it off.
   */
  public long hostTierBytes() { return hostTierBytes; }
  /** Cap of the block manifests' region (images registered with pinned blocks). */
  public long manifestRegionBytes() { return manifestRegionBytes; }
  /** The local disk tier's directory (blocks of the host tier, and the disk layers), or null: none. */
  public Path diskCacheDir() { return diskCacheDir; }
  public long diskCacheBytes() { return diskCacheBytes; }
  /**
   * With a disk cache: how long a node that left stays in the baseline (its data on disk expected
   * back), and how long a restarted cluster waits for its baseline before it goes on without.
   */
  public Duration rejoinGrace() { return rejoinGrace; }
  /** With a disk cache: the nodes a new cluster waits for before it first activates (its first baseline). */
  public int initialNodes() { return initialNodes; }
  public int backups() { return backups; }
  /** Backend read operations per second this node may issue; 0: unlimited. */
  public long backendIops() { return backendIops; }
  /** Backend bytes per second this node may read; 0: unlimited. */
  public long backendBytesPerSecond() { return backendBytesPerSecond; }
  /** Added to every backend read: models slow shared storage in the simulator; zero in production. */
  public Duration backendLatency() { return backendLatency; }
  /** How long a boot session stays open at most. */
  public Duration bootWindow() { return bootWindow; }
  /** The largest range one fetch may ask for. */
  public long maxRequestBytes() { return maxRequestBytes; }
  /** The largest gRPC message the node takes: a record event or a write of the largest range, and room for the rest. */
  public long maxMessageBytes() { return maxRequestBytes + 2 * MIB; }
  /** Whether read data sent by recorders may fill the cache (only for trusted recorders). */
  public boolean trustRecordedReads() { return trustRecordedReads; }
  /** Consecutive blocks of one layer kept on one node, so a range read is one hop per stripe. */
  public int stripeBlocks() { return stripeBlocks; }
  /** The TCP address this node serves NBD on, or null: with {@link #nbdPort()}, its own NBD server. */
  public String nbdHost() { return nbdHost; }
  /** The NBD port (0 picks a free one), or -1 when the node serves no NBD over TCP. */
  public int nbdPort() { return nbdPort; }
  /** The Unix socket this node serves NBD on, or null. */
  public Path nbdSocket() { return nbdSocket; }
  /** An NBD connection's boot ends after this long without requests. */
  public Duration nbdIdleTimeout() { return nbdIdleTimeout; }
  /** What one client may hold of this node's memory, and how much metadata the cluster keeps. */
  public Limits limits() { return limits; }
  /**
   * The node's certificate, key and CA, or null: with them gRPC, the admin endpoint, Ignite and NBD
   * over TCP speak TLS, and every client shows a certificate of the CA.
   */
  public TlsFiles tls() { return tls; }
  /** Who may do what, for principals of client certificates; none without TLS. */
  public Grants grants() { return grants; }
  /** Serve in the clear on an address other hosts reach: said on purpose, for a network that is trusted. */
  public boolean insecure() { return insecure; }
  /** Directories whose regular files may be registered as images (default: java.io.tmpdir). */
  public List<Path> imageRoots() { return imageRoots; }
  /** Directories whose regular files may be registered as full clones, which NBD writes into (default: java.io.tmpdir). */
  public List<Path> diskRoots() { return diskRoots; }
  /** The node owns its JVM: a critical Ignite failure ends the process (segmentation 75, others 70) for its supervisor. */
  public boolean exitOnFailure() { return exitOnFailure; }
  /** The node may only join a cluster through its seeds, never form one alone (it was cut off from a larger one). */
  public boolean joinOnly() { return joinOnly; }

  @Override
  public String toString() {
    return "NodeConfig{name=" + nodeName + ", bind=" + bindHost + ", grpc=" + grpcPort + ", admin=" + adminPort
        + ", discovery=" + discoveryPort + "+" + discoveryPortRange + ", communication=" + communicationPort
        + ", seeds=" + seeds + ", discoveryBy=" + discovery
        + (discovery == Discovery.KUBERNETES ? " " + kubernetesNamespace + "/" + kubernetesService : "")
        + ", dataDir=" + dataDir + ", blocksRegion=" + blocksRegionBytes / MIB + "MiB"
        + ", metaRegion=" + metaRegionBytes / MIB + "MiB, hostTier=" + hostTierBytes / MIB + "MiB, manifests="
        + manifestRegionBytes / MIB + "MiB, diskCache=" + (diskCacheDir == null ? "-" : diskCacheDir + " ("
        + diskCacheBytes / MIB + "MiB, rejoinGrace=" + rejoinGrace + ", initialNodes=" + initialNodes + ")") + ", backups=" + backups + ", backendIops=" + backendIops
        + ", backendBytesPerSecond=" + backendBytesPerSecond + ", backendLatency=" + backendLatency + ", bootWindow=" + bootWindow
        + ", maxRequestBytes=" + maxRequestBytes + ", trustRecordedReads=" + trustRecordedReads
        + ", nbd=" + (nbdPort >= 0 ? nbdHost + ":" + nbdPort : "-") + ", nbdSocket=" + nbdSocket + ", " + limits
        + ", tls=" + (tls == null ? (insecure ? "off (insecure)" : "off") : tls + ", grants=" + grantsFile)
        + ", imageRoots=" + imageRoots + ", diskRoots=" + diskRoots + "}";
  }

  public static final class Builder {
    private String nodeName = "bootcache-" + ProcessHandle.current().pid();
    private String bindHost = "127.0.0.1";
    private int grpcPort = DEFAULT_GRPC_PORT;
    private int adminPort = DEFAULT_ADMIN_PORT;
    private int discoveryPort = DEFAULT_DISCOVERY_PORT;
    private int discoveryPortRange = 10;
    private int communicationPort = DEFAULT_COMMUNICATION_PORT;
    private List<String> seeds = List.of();
    private Discovery discovery = Discovery.STATIC;
    private String kubernetesNamespace = "default";
    private String kubernetesService = "bootcache";
    private Path dataDir = Path.of("bootcache-data");
    private long blocksRegionBytes = 256 * MIB;
    private long metaRegionBytes = 128 * MIB;
    private long hostTierBytes = 256 * MIB;
    private long manifestRegionBytes = 256 * MIB;
    private Path diskCacheDir;
    private long diskCacheBytes = 4096 * MIB;
    private Duration rejoinGrace = Duration.ofMinutes(2);
    private int initialNodes = 1;
    private int backups = 1;
    private long backendIops = 0;
    private long backendBytesPerSecond = 0;
    private Duration backendLatency = Duration.ZERO;
    private Duration bootWindow = Duration.ofMinutes(5);
    private long maxRequestBytes = 4 * MIB;
    private boolean trustRecordedReads = false;
    private int stripeBlocks = 64;
    private String nbdHost;
    private int nbdPort = -1;
    private Path nbdSocket;
    private Duration nbdIdleTimeout = Duration.ofSeconds(30);
    private Limits limits = Limits.DEFAULT;
    private TlsFiles tls;
    private Path grantsFile;
    private Grants grants = Grants.NONE;
    private boolean insecure;
    private List<Path> imageRoots = List.of(TMP);
    private List<Path> diskRoots = List.of(TMP);
    private boolean exitOnFailure;
    private boolean joinOnly;

    private Builder() {}

    public Builder nodeName(String v) { nodeName = Objects.requireNonNull(v); return this; }
    public Builder bindHost(String v) { bindHost = Objects.requireNonNull(v); return this; }
    public Builder grpcPort(int v) { grpcPort = port(v, "grpcPort"); return this; }
    public Builder adminPort(int v) { adminPort = port(v, "adminPort"); return this; }
    public Builder discoveryPort(int v) { discoveryPort = port(v, "discoveryPort"); return this; }
    public Builder discoveryPortRange(int v) { discoveryPortRange = positive(v, "discoveryPortRange"); return this; }
    public Builder communicationPort(int v) { communicationPort = port(v, "communicationPort"); return this; }
    public Builder seeds(List<String> v) { seeds = List.copyOf(v); return this; }
    public Builder discovery(Discovery v) { discovery = Objects.requireNonNull(v, "discovery"); return this; }
    public Builder kubernetesNamespace(String v) { kubernetesNamespace = dnsLabel(v, "kubernetesNamespace"); return this; }
    public Builder kubernetesService(String v) { kubernetesService = dnsLabel(v, "kubernetesService"); return this; }
    public Builder dataDir(Path v) { dataDir = Objects.requireNonNull(v); return this; }
    public Builder blocksRegionBytes(long v) { blocksRegionBytes = atLeast(v, 16 * MIB, "blocksRegionBytes"); return this; }
    public Builder metaRegionBytes(long v) { metaRegionBytes = atLeast(v, 32 * MIB, "metaRegionBytes"); return this; }
    public Builder hostTierBytes(long v) { hostTierBytes = atLeast(v, 0, "hostTierBytes"); return this; }
    public Builder manifestRegionBytes(long v) { manifestRegionBytes = atLeast(v, 16 * MIB, "manifestRegionBytes"); return this; }
    /** Keep the host tier's blocks, and the disk layers, in this directory on local disk: a restart comes back warm. */
    public Builder diskCacheDir(Path v) { diskCacheDir = Objects.requireNonNull(v, "diskCacheDir"); return this; }
    public Builder diskCacheBytes(long v) { diskCacheBytes = atLeast(v, 128 * MIB, "diskCacheBytes"); return this; }
    public Builder initialNodes(int v) { initialNodes = positive(v, "initialNodes"); return this; }
    public Builder rejoinGrace(Duration v) {
      if (v.isNegative()) throw new IllegalArgumentException("rejoinGrace must not be negative, got " + v);
      rejoinGrace = v;
      return this;
    }
    public Builder backups(int v) { backups = atLeast(v, 0, "backups"); return this; }
    public Builder backendIops(long v) { backendIops = atLeast(v, 0, "backendIops"); return this; }
    public Builder backendBytesPerSecond(long v) { backendBytesPerSecond = atLeast(v, 0, "backendBytesPerSecond"); return this; }
    public Builder backendLatency(Duration v) {
      if (v.isNegative()) throw new IllegalArgumentException("backendLatency must not be negative, got " + v);
      backendLatency = v;
      return this;
    }
    public Builder bootWindow(Duration v) {
      if (v.isNegative() || v.isZero()) throw new IllegalArgumentException("bootWindow must be positive, got " + v);
      bootWindow = v;
      return this;
    }
    public Builder maxRequestBytes(long v) { maxRequestBytes = atLeast(v, 4096, "maxRequestBytes"); return this; }
    public Builder trustRecordedReads(boolean v) { trustRecordedReads = v; return this; }
    public Builder stripeBlocks(int v) { stripeBlocks = positive(v, "stripeBlocks"); return this; }
    /** Serve NBD on this TCP address (port 0: a free one). */
    public Builder nbd(String host, int port) {
      nbdHost = Objects.requireNonNull(host);
      nbdPort = port(port, "nbd port");
      return this;
    }
    /** Serve NBD on this Unix socket. */
    public Builder nbdSocket(Path v) { nbdSocket = Objects.requireNonNull(v); return this; }
    public Builder nbdIdleTimeout(Duration v) {
      if (v.isNegative() || v.isZero()) throw new IllegalArgumentException("nbdIdleTimeout must be positive, got " + v);
      nbdIdleTimeout = v;
      return this;
    }
    public Builder limits(Limits v) { limits = Objects.requireNonNull(v, "limits"); return this; }

    /** TLS on every TCP edge with this material, client certificates required (see {@link #tls()}). */
    public Builder tls(TlsFiles v) { tls = Objects.requireNonNull(v, "tls"); return this; }
    /** Reads the grants file now: a line it cannot read fails here, naming the line. */
    public Builder grants(Path file) {
      grants = Grants.read(Objects.requireNonNull(file, "grants file"));
      grantsFile = file;
      return this;
    }
    public Builder insecure(boolean v) { insecure = v; return this; }
    /** Only regular files under these directories may be registered as images. */
    public Builder imageRoots(List<Path> v) { imageRoots = roots(v, "imageRoots"); return this; }
    /** Only regular files under these directories may be registered as full clones. */
    public Builder diskRoots(List<Path> v) { diskRoots = roots(v, "diskRoots"); return this; }
    public Builder exitOnFailure(boolean v) { exitOnFailure = v; return this; }
    public Builder joinOnly(boolean v) { joinOnly = v; return this; }

    /**
     * Refuses a node that would serve other hosts without TLS (unless told it is insecure on purpose),
     * TLS without grants, and grants without TLS.
     */
    public NodeConfig build() {
      if (grantsFile != null && tls == null) {
        throw new IllegalArgumentException("a grants file (--grants) names the principals of client certificates: "
            + "it needs TLS (--tls-cert, --tls-key, --tls-ca); without TLS only the local principal exists");
      }
      if (tls != null && grantsFile == null) {
        throw new IllegalArgumentException("with TLS, a grants file (--grants FILE) says which principal may do what; "
            + "see the README's Security section");
      }
      if (tls == null && !insecure) {
        for (String host : nbdPort >= 0 ? List.of(bindHost, nbdHost) : List.of(bindHost)) {
          if (!isLoopback(host)) {
            throw new IllegalArgumentException(host + " is not a loopback address: other hosts would reach this node "
                + "in the clear, and nobody's identity would be checked. Give it --tls-cert, --tls-key, --tls-ca and "
                + "--grants (see the README's Security section), or --insecure to serve in the clear on a network you trust");
          }
        }
      }
      return new NodeConfig(this);
    }

    private static boolean isLoopback(String host) {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }

    private static String dnsLabel(String v, String name) {
      if (v == null || !DNS_LABEL.matcher(v).matches()) {
        throw new IllegalArgumentException(name + " must be a DNS label (a-z, 0-9, '-', at most 63), got '" + v + "'");
      }
      return v;
    }

    private static List<Path> roots(List<Path> v, String name) {
      if (v.isEmpty()) throw new IllegalArgumentException(name + " must name at least one directory");
      return v.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    private static int port(int v, String name) {
      if (v < 0 || v > 65535) throw new IllegalArgumentException(name + " must be 0..65535, got " + v);
      return v;
    }

    private static int positive(int v, String name) {
      if (v <= 0) throw new IllegalArgumentException(name + " must be positive, got " + v);
      return v;
    }

    private static long atLeast(long v, long min, String name) {
      if (v < min) throw new IllegalArgumentException(name + " must be at least " + min + ", got " + v);
      return v;
    }

    private static int atLeast(int v, int min, String name) {
      if (v < min) throw new IllegalArgumentException(name + " must be at least " + min + ", got " + v);
      return v;
    }
  }
}
