package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bootcache.tls.TestCertificates;
import io.bootcache.tls.TlsFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ignite discovery and communication over TLS: a node with the CA's certificate joins the cluster;
 * one without TLS, or with another CA's certificate, does not (it runs alone, or does not start).
 */
class IgniteTlsTest {
  @TempDir
  static Path dir;
  static TestCertificates ca;
  static Path grants;
  static BootCacheNode first;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.authority(Files.createDirectories(dir.resolve("ca")));
    grants = Files.writeString(dir.resolve("grants"), "ops = admin\n");
    first = BootCacheNode.start(config("first", ca.issue("node-1").files()).build());
  }

  @AfterAll
  static void stop() {
    first.close();
  }

  /** A node on loopback whose seed is the first node (when there is one). */
  static NodeConfig.Builder config(String name, TlsFiles tls) {
    int base = Ports.freeRange(8);
    NodeConfig.Builder b = NodeConfig.builder().nodeName(name + "-" + base).bindHost("127.0.0.1")
        .grpcPort(0).adminPort(0).discoveryPort(base).discoveryPortRange(4).communicationPort(base + 4)
        .blocksRegionBytes(16 * NodeConfig.MIB).metaRegionBytes(32 * NodeConfig.MIB).hostTierBytes(0)
        .dataDir(dir.resolve(name));
    if (first != null) b.seeds(List.of(first.discoveryAddress()));
    if (tls != null) b.tls(tls).grants(grants);
    return b;
  }

  static int servers(BootCacheNode node) {
    return node.ignite().cluster().forServers().nodes().size();
  }

  /** Starts the node and says how many servers each side sees; a node that fails to start joined nobody. */
  static void assertDoesNotJoin(NodeConfig config) {
    BootCacheNode other = null;
    try {
      other = BootCacheNode.start(config);
      assertEquals(1, servers(other), "it runs alone");
    } catch (RuntimeException refused) {
      // it could not start at all: it joined nobody either
    } finally {
      if (other != null) other.close();
    }
    assertEquals(1, servers(first), "the TLS cluster did not take it in");
  }

  @Test
  void aNodeWithoutTlsCannotJoin() {
    assertDoesNotJoin(config("plain", null).build());
  }

  @Test
  void aNodeWithAnotherCasCertificateCannotJoin() throws Exception {
    TestCertificates other = TestCertificates.authority(Files.createDirectories(dir.resolve("other-ca")));
    TestCertificates.Issued forged = other.issue("node-1");
    // it trusts the cluster's CA, so what keeps it out is the cluster checking its certificate
    assertDoesNotJoin(config("forged", TlsFiles.load(forged.cert(), forged.key(), ca.ca())).build());
  }

  @Test
  void aNodeWithTheCasCertificateJoins() throws InterruptedException {
    try (BootCacheNode second = BootCacheNode.start(config("second", ca.issue("node-2").files()).build())) {
      assertEquals(2, servers(second));
      assertEquals(2, servers(first));
    }
    // the other tests count the first node's servers: wait until it has seen this one leave
    for (int i = 0; i < 100 && servers(first) > 1; i++) Thread.sleep(100);
  }
}
