package io.bootcache.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.cli.Main;
import io.bootcache.cli.NbdCommand;
import io.bootcache.nbd.NbdExport;
import io.bootcache.nbd.Tools;
import io.bootcache.node.LocalCluster;
import io.bootcache.tls.TestCertificates;
import io.vertx.grpc.common.GrpcStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The client library, the CLI and bootcache nbd against a node that speaks TLS with grants, each
 * showing a certificate openssl made: what a principal is granted it reads, what it is not it does
 * not, not even through the client's fallback to the backing file.
 */
class ClientTlsTest {
  static final int SIZE = 512 * 1024;

  @TempDir
  static Path dir;
  static TestCertificates ca;
  static LocalCluster cluster;
  static String node;
  static byte[] golden;
  static Path secret;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.authority(Files.createDirectories(dir.resolve("ca")));
    Path grants = Files.writeString(dir.resolve("grants"), "ops = admin\nhost-a = host: images=golden\n");
    var nodeFiles = ca.issue("node").files();
    cluster = LocalCluster.builder().dataDir(dir.resolve("data")).configure(b -> b.tls(nodeFiles).grants(grants)).start();
    node = cluster.grpcAddresses().get(0);
    golden = new byte[SIZE];
    new Random(3).nextBytes(golden);
    Files.write(dir.resolve("golden.raw"), golden);
    secret = Files.write(dir.resolve("secret.raw"), new byte[SIZE]);
    assertEquals(0, cli("ops", "image", "register", "golden", dir.resolve("golden.raw").toString()).code());
    assertEquals(0, cli("ops", "image", "register", "secret", secret.toString()).code());
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static BootCacheClient client(String principal) {
    TestCertificates.Issued cert = ca.issue(principal);
    return BootCacheClient.builder().nodes(node).tls(cert.cert(), cert.key(), cert.ca())
        .location("secret", secret).build();
  }

  record Run(int code, String out, String err) {}

  /** The CLI, showing the principal's certificate through the flags. */
  static Run cli(String principal, String... args) {
    TestCertificates.Issued cert = ca.issue(principal);
    List<String> all = new ArrayList<>(List.of("--node", node, "--tls-cert", cert.cert().toString(),
        "--tls-key", cert.key().toString(), "--tls-ca", cert.ca().toString()));
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine(new Main());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Run(cl.execute(all.toArray(String[]::new)), out.toString(), err.toString());
  }

  static NbdCommand.Running startNbd(String... args) {
    CommandLine.ParseResult parsed = Main.commandLine(new Main()).parseArgs(args);
    return ((NbdCommand) parsed.subcommand().commandSpec().userObject()).start();
  }

  @Test
  void theClientLibraryReadsWhatItsPrincipalIsGrantedAndNothingElse() {
    try (BootCacheClient hostA = client("host-a")) {
      assertArrayEquals(Arrays.copyOfRange(golden, 1000, 5000), hostA.readBlocking(Target.image("golden"), 1000, 4000));
      BootCacheException denied = assertThrows(BootCacheException.class,
          () -> hostA.readBlocking(Target.image("secret"), 0, 4096));
      assertEquals(GrpcStatus.PERMISSION_DENIED, denied.status());
      assertEquals(0, hostA.clientStats().fallbackReads(), "a refusal is not fallen back to the file");
    }
  }

  @Test
  void theCliTakesTheTlsFlags() {
    Run list = cli("host-a", "image", "list");
    assertEquals(0, list.code(), list.err());
    assertTrue(list.out().contains("golden") && !list.out().contains("secret"), list.out());
    Run register = cli("host-a", "image", "register", "mine", secret.toString());
    assertEquals(Main.EXIT_SERVER_ERROR, register.code());
    assertTrue(register.err().contains("PERMISSION_DENIED"), register.err());
    Run plain = new Run(Main.commandLine(new Main()).execute("--node", node, "--deadline", "2", "image", "list"), "", "");
    assertEquals(Main.EXIT_UNREACHABLE, plain.code(), "without TLS the node is not reached at all");
  }

  @Test
  void bootcacheNbdServesOverTlsAndReadsTheClusterWithItsCertificate() throws Exception {
    TestCertificates.Issued hostA = ca.issue("host-a");
    try (NbdCommand.Running running = startNbd("--node", node, "--tls-cert", hostA.cert().toString(),
        "--tls-key", hostA.key().toString(), "--tls-ca", hostA.ca().toString(), "nbd", "--listen", "127.0.0.1:0")) {
      int port = running.server().port();
      Path copy = dir.resolve("copy.raw");
      Tools.run("nbdcopy", "nbds://127.0.0.1:" + port + "/golden?tls-certificates=" + hostA.clientDirectory(),
          copy.toString()).ok();
      assertArrayEquals(golden, Files.readAllBytes(copy));
      assertNotEquals(0, Tools.run("nbdinfo", "nbd://127.0.0.1:" + port + "/golden").exit(), "a plain client is refused");
      assertEquals(List.of("golden"), running.catalog().list().stream().map(NbdExport::name).toList(),
          "it exports what its principal may read");
    }
  }
}
