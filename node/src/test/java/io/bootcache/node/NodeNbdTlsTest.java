package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.bootcache.nbd.Nbd;
import io.bootcache.nbd.RawNbdClient;
import io.bootcache.nbd.Tools;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.tls.TestCertificates;
import io.bootcache.v1.CloneMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's own NBD server over TLS with grants, read by libnbd with client certificates that
 * openssl made: each principal lists and opens only what it may boot; a plain client is refused;
 * the Unix socket stays plain and serves the local principal everything.
 */
class NodeNbdTlsTest {
  static final int SIZE = 2 * 1024 * 1024;
  static final Pattern EXPORT = Pattern.compile("export=\"([^\"]+)\"");

  @TempDir
  static Path dir;
  static TestCertificates ca;
  static LocalCluster cluster;
  static byte[] golden;

  @BeforeAll
  static void start() throws Exception {
    Tools.require("nbdinfo", "nbdcopy");
    ca = TestCertificates.authority(Files.createDirectories(dir.resolve("ca")));
    Path grants = Files.writeString(dir.resolve("grants"), """
        host-a = host: images=golden disks=vm-a
        audit = reader: images=golden
        """);
    var node = ca.issue("node").files();
    cluster = LocalCluster.builder().dataDir(dir.resolve("data")).nbd().configure(b -> b.tls(node).grants(grants)).start();
    Catalog catalog = cluster.node(0).services().catalog();
    golden = Files.readAllBytes(TestFiles.random(dir, "golden.raw", SIZE, 1));
    catalog.registerImage("golden", dir.resolve("golden.raw").toString(), 4096);
    catalog.registerImage("other", TestFiles.random(dir, "other.raw", SIZE, 2).toString(), 4096);
    catalog.registerDisk("vm-a", "golden", CloneMode.LINKED, "");
    catalog.registerDisk("vm-b", "golden", CloneMode.LINKED, "");
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static String tlsUri(String export, String principal) {
    return "nbds://127.0.0.1:" + cluster.node(0).nbdPort() + "/" + export + "?tls-certificates="
        + ca.issue(principal).clientDirectory();
  }

  static List<String> exports(String uri) {
    String out = Tools.run("nbdinfo", "--list", uri).ok().out();
    return EXPORT.matcher(out).results().map(m -> m.group(1)).sorted().toList();
  }

  @Test
  void aHostListsAndReadsWhatItIsGrantedOnly() throws Exception {
    assertEquals(List.of("golden", "vm-a"), exports(tlsUri("", "host-a")));
    Path copy = dir.resolve("golden-copy.raw");
    Tools.run("nbdcopy", tlsUri("golden", "host-a"), copy.toString()).ok();
    assertArrayEquals(golden, Files.readAllBytes(copy));
    Tools.Result denied = Tools.run("nbdcopy", tlsUri("other", "host-a"), dir.resolve("other-copy.raw").toString());
    assertNotEquals(0, denied.exit(), "an image it is not granted: " + denied.err());
    assertNotEquals(0, Tools.run("nbdinfo", tlsUri("vm-b", "host-a")).exit(), "another tenant's disk");
  }

  @Test
  void aReaderOrAStrangerSeesNoExport() {
    // each NBD connection is a boot: it takes the host role
    assertEquals(List.of(), exports(tlsUri("", "audit")));
    assertEquals(List.of(), exports(tlsUri("", "stranger")));
  }

  @Test
  void aPlainClientIsRefusedWithTlsRequired() throws Exception {
    try (RawNbdClient c = new RawNbdClient(cluster.node(0).nbdPort()).greet()) {
      c.sendOption(Nbd.OPT_LIST, new byte[0]);
      assertEquals(Nbd.REP_ERR_TLS_REQD, c.readOptionReply().type());
    }
  }

  @Test
  void theUnixSocketIsPlainAndServesTheLocalPrincipalEverything() {
    Path socket = dir.resolve("data").resolve("node-0").resolve("nbd.sock");
    assertEquals(List.of("golden", "other", "vm-a", "vm-b"), exports("nbd+unix:///?socket=" + socket));
  }
}
