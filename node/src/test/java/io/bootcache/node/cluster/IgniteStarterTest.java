package io.bootcache.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.NodeConfig;
import io.bootcache.node.NodeConfig.Discovery;
import java.util.List;
import org.apache.ignite.kubernetes.configuration.KubernetesConnectionConfiguration;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.kubernetes.TcpDiscoveryKubernetesIpFinder;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;
import org.junit.jupiter.api.Test;

/** The Ignite configuration a node starts with: how its discovery finds the other nodes. */
class IgniteStarterTest {

  private static TcpDiscoverySpi discovery(NodeConfig config) {
    return (TcpDiscoverySpi) IgniteStarter.configuration(config).getDiscoverySpi();
  }

  @Test
  void byDefaultDiscoveryUsesThisNodesPortsAndTheSeeds() {
    NodeConfig config = NodeConfig.builder().seeds(List.of("10.0.0.2", "10.0.0.3:47600")).build();
    TcpDiscoveryVmIpFinder finder = assertInstanceOf(TcpDiscoveryVmIpFinder.class, discovery(config).getIpFinder());
    assertEquals(List.of("127.0.0.1:47500..47509", "10.0.0.2:47500..47509", "10.0.0.3:47600"),
        IgniteStarter.discoveryAddresses(config));
    assertTrue(finder.getRegisteredAddresses().size() >= 3, finder.getRegisteredAddresses().toString());
  }

  @Test
  void aNodeThatMayOnlyJoinLeavesItsOwnPortsOutOfTheSeeds() {
    NodeConfig config = NodeConfig.builder().bindHost("10.0.0.1").insecure(true).discoveryPort(47500).discoveryPortRange(2).joinOnly(true)
        .seeds(List.of("10.0.0.1:47500..47502", "10.0.0.2:47500")).build();
    assertEquals(List.of("10.0.0.1:47502", "10.0.0.2:47500"), IgniteStarter.discoveryAddresses(config));
  }

  @Test
  void kubernetesDiscoveryAsksForTheEndpointsOfTheGivenService() {
    NodeConfig config = NodeConfig.builder().discovery(Discovery.KUBERNETES)
        .kubernetesNamespace("vdi").kubernetesService("bootcache-nodes").discoveryPort(47600).build();
    assertInstanceOf(TcpDiscoveryKubernetesIpFinder.class, discovery(config).getIpFinder());
    KubernetesConnectionConfiguration k8s = IgniteStarter.kubernetesConnection(config);
    assertEquals("vdi", k8s.getNamespace());
    assertEquals("bootcache-nodes", k8s.getServiceName());
    assertEquals(47600, k8s.getDiscoveryPort());
    assertTrue(k8s.getIncludeNotReadyAddresses());
  }

  @Test
  void kubernetesNamesMustBeDnsLabels() {
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().kubernetesNamespace("Not_A_Label"));
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().kubernetesService(""));
    assertThrows(NullPointerException.class, () -> NodeConfig.builder().discovery(null));
  }
}
