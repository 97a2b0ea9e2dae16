package io.bootcache.node.cluster;

import io.bootcache.node.NodeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.ignite.Ignite;
import org.apache.ignite.Ignition;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.events.EventType;
import org.apache.ignite.failure.StopNodeOrHaltFailureHandler;
import org.apache.ignite.kubernetes.configuration.KubernetesConnectionConfiguration;
import org.apache.ignite.logger.NullLogger;
import org.apache.ignite.logger.java.JavaLogger;
import org.apache.ignite.spi.communication.tcp.TcpCommunicationSpi;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.TcpDiscoveryIpFinder;
import org.apache.ignite.spi.discovery.tcp.ipfinder.kubernetes.TcpDiscoveryKubernetesIpFinder;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;

/** Starts the embedded Ignite server of a node: discovery on the configured addresses, regions, caches. */
public final class IgniteStarter {
  private IgniteStarter() {}

  public static Ignite start(NodeConfig config) {
    return Ignition.start(configuration(config));
  }

  static IgniteConfiguration configuration(NodeConfig config) {
    TcpDiscoverySpi discovery = new TcpDiscoverySpi()
        .setIpFinder(ipFinder(config))
        .setLocalAddress(config.bindHost())
        .setLocalPort(config.discoveryPort())
        .setLocalPortRange(config.discoveryPortRange());
    TcpCommunicationSpi communication = new TcpCommunicationSpi();
    communication.setLocalAddress(config.bindHost());
    communication.setLocalPort(config.communicationPort());
    communication.setLocalPortRange(config.discoveryPortRange());
    communication.setMessageQueueLimit(4096);

    Path work = config.dataDir().resolve("ignite").toAbsolutePath();
    return new IgniteConfiguration()
        .setSslContextFactory(config.tls() == null ? null : new IgniteTls(config.tls()))
        .setIgniteInstanceName(config.nodeName())
        .setConsistentId(config.nodeName())
        .setLocalHost(config.bindHost())
        .setWorkDirectory(work.toString())
        .setDiscoverySpi(discovery)
        .setCommunicationSpi(communication)
        .setDataStorageConfiguration(Regions.storage(config))
        .setCacheConfiguration(Caches.all(config))
        .setPeerClassLoadingEnabled(false)
        .setMetricsLogFrequency(0)
        .setGridLogger((Boolean.getBoolean("bootcache.ignite.verbose") || System.getenv("BOOTCACHE_IGNITE_VERBOSE") != null) ? new JavaLogger() : new NullLogger())
        .setFailureHandler(config.exitOnFailure() ? new ExitOnFailure() : new StopNodeOrHaltFailureHandler())
        .setIncludeEventTypes(EventType.EVT_NODE_JOINED, EventType.EVT_NODE_LEFT, EventType.EVT_NODE_FAILED)
        // misses load on the owner node in the public pool, and wait there for each other
        .setPublicThreadPoolSize(Math.max(16, 4 * Runtime.getRuntime().availableProcessors()));
  }

  /** Where discovery looks for the other nodes: the static addresses, or a Kubernetes service's endpoints. */
  static TcpDiscoveryIpFinder ipFinder(NodeConfig config) {
    return switch (config.discovery()) {
      case STATIC -> new TcpDiscoveryVmIpFinder().setAddresses(discoveryAddresses(config));
      case KUBERNETES -> new TcpDiscoveryKubernetesIpFinder(kubernetesConnection(config));
    };
  }

  /**
   * The service whose endpoints are the nodes, asked of the API server with the pod's service account.
   * Addresses of pods not ready yet count too: a node is ready only once it has joined.
   */
  static KubernetesConnectionConfiguration kubernetesConnection(NodeConfig config) {
    return new KubernetesConnectionConfiguration()
        .setNamespace(config.kubernetesNamespace())
        .setServiceName(config.kubernetesService())
        .setDiscoveryPort(config.discoveryPort())
        .setIncludeNotReadyAddresses(true);
  }

  /**
   * This node's own port range, so that a lone node finds itself, plus the seeds it was given. A
   * node that may only join ({@link NodeConfig#joinOnly()}) leaves its own ports out: Ignite then
   * keeps trying the seeds instead of forming a cluster of one.
   */
  static List<String> discoveryAddresses(NodeConfig config) {
    List<String> addresses = new ArrayList<>();
    int first = config.discoveryPort();
    int last = first + config.discoveryPortRange() - 1;
    if (!config.joinOnly()) addresses.add(config.bindHost() + ":" + first + ".." + last);
    for (String seed : config.seeds()) {
      String address = seed.contains(":") ? seed
          : seed + ":" + NodeConfig.DEFAULT_DISCOVERY_PORT + ".." + (NodeConfig.DEFAULT_DISCOVERY_PORT + 9);
      if (!config.joinOnly()) {
        addresses.add(address);
        continue;
      }
      for (String one : expand(address)) {
        int colon = one.lastIndexOf(':');
        int port = Integer.parseInt(one.substring(colon + 1));
        boolean own = one.substring(0, colon).equals(config.bindHost()) && port >= first && port <= last;
        if (!own) addresses.add(one);
      }
    }
    return addresses;
  }

  /** "host:a..b" as one address a port; "host:port" as itself. */
  static List<String> expand(String address) {
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon);
    String ports = address.substring(colon + 1);
    int dots = ports.indexOf("..");
    if (dots < 0) return List.of(address);
    int from = Integer.parseInt(ports.substring(0, dots).trim());
    int to = Integer.parseInt(ports.substring(dots + 2).trim());
    List<String> out = new ArrayList<>();
    for (int p = from; p <= to; p++) out.add(host + ":" + p);
    return out;
  }
}
