package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The node's command line: flags over the config file over the built-in defaults. */
class MainTest {
  @TempDir Path dir;

  Main parse(Path config, String... args) {
    Main main = new Main();
    CommandLine cmd = new CommandLine(main);
    cmd.setDefaultValueProvider(new Main.EnvironmentAndFile(config));
    cmd.parseArgs(args);
    return main;
  }

  @Test
  void defaultsRunAOneNodeClusterOnLoopback() {
    Main m = parse(null);
    assertEquals("127.0.0.1", m.bind);
    assertEquals(7400, m.grpcPort);
    assertEquals(7401, m.adminPort);
    assertEquals(256L << 20, Main.bytes(m.memory));
    assertEquals(List.of(), m.seeds);
    assertEquals(Duration.ZERO, Main.duration(m.backendLatency));
  }

  @Test
  void discoveryIsStaticUnlessToldToAskKubernetes() {
    assertEquals(NodeConfig.Discovery.STATIC, parse(null).config().discovery());
    NodeConfig k8s = parse(null, "--discovery", "kubernetes", "--k8s-namespace", "vdi", "--k8s-service", "bootcache-nodes").config();
    assertEquals(NodeConfig.Discovery.KUBERNETES, k8s.discovery());
    assertEquals("vdi", k8s.kubernetesNamespace());
    assertEquals("bootcache-nodes", k8s.kubernetesService());
    var e = assertThrows(CommandLine.TypeConversionException.class, () -> parse(null, "--discovery", "multicast").config());
    assertTrue(e.getMessage().contains("static or kubernetes"), e.getMessage());
  }

  @Test
  void aConfigFileSetsWhatFlagsDoNot() throws Exception {
    Path file = dir.resolve("node.properties");
    Files.writeString(file, "grpc-port=9400\nmemory=1GiB\nseed=10.0.0.1, 10.0.0.2:47600\nboot-window=90s\n");
    Main m = parse(file, "--grpc-port", "9500", "--backend-latency", "2ms");
    assertEquals(Duration.ofMillis(2), Main.duration(m.backendLatency));
    assertEquals(9500, m.grpcPort, "a flag beats the file");
    assertEquals(1L << 30, Main.bytes(m.memory));
    assertEquals(List.of("10.0.0.1", "10.0.0.2:47600"), m.config().seeds(), "spaces after the commas do not count");
    assertEquals(Duration.ofSeconds(90), Main.duration(m.bootWindow));
  }

  @Test
  void sizesAndDurationsParseOrSayWhatIsWrong() {
    assertEquals(4096, Main.bytes("4096"));
    assertEquals(512 * 1024, Main.bytes("512k"));
    assertEquals(3L << 40, Main.bytes("3T"));
    // the simulator's and the CLI's spellings too
    assertEquals(256L << 20, Main.bytes("256MiB"));
    assertEquals(8L << 30, Main.bytes("8 GiB"));
    assertEquals(100L << 20, Main.bytes("100MB"));
    assertEquals(512, Main.bytes("512b"));
    assertThrows(CommandLine.TypeConversionException.class, () -> Main.bytes("1.5g"));
    assertThrows(CommandLine.TypeConversionException.class, () -> Main.bytes("-1"));
    assertThrows(CommandLine.TypeConversionException.class, () -> Main.bytes("9000000000000000000m"));
    assertEquals(Duration.ofMillis(250), Main.duration("250ms"));
    assertEquals(Duration.ofMinutes(5), Main.duration("5m"));
    assertEquals(Duration.ofHours(1), Main.duration("1h"));
    assertEquals(Duration.ofSeconds(42), Main.duration("42"));
    var e = assertThrows(CommandLine.TypeConversionException.class, () -> Main.bytes("lots"));
    assertTrue(e.getMessage().contains("lots"));
    assertThrows(CommandLine.TypeConversionException.class, () -> Main.bytes("99999999999g"));
    assertThrows(CommandLine.TypeConversionException.class, () -> Main.duration("soon"));
  }

  @Test
  void limitsComeFromFlagsOrTheFileAndNonsenseIsRefused() throws Exception {
    assertEquals(Limits.DEFAULT, parse(null).config().limits());
    Path file = dir.resolve("limits.properties");
    Files.writeString(file, "fetch-queue=8m\nnbd-max-connections=12\nmax-images=10\n");
    Limits l = parse(file, "--nbd-queue", "2m", "--nbd-max-requests", "64", "--nbd-handshake-timeout", "3s",
        "--max-disks", "20", "--max-sessions", "30", "--fetch-queue-total", "32m", "--grpc-max-connections", "40")
        .config().limits();
    assertEquals(new Limits(8L << 20, 32L << 20, 2L << 20, 64, 12, Duration.ofSeconds(3), 10, 20, 30, 40), l);
    var small = assertThrows(CommandLine.ParameterException.class, () -> parse(null, "--fetch-queue", "1k").config());
    assertTrue(small.getMessage().contains("fetch queue"), small.getMessage());
    var total = assertThrows(CommandLine.ParameterException.class,
        () -> parse(null, "--fetch-queue", "64m", "--fetch-queue-total", "1m").config());
    assertTrue(total.getMessage().contains("fetch queue total"), total.getMessage());
    assertThrows(CommandLine.ParameterException.class, () -> parse(null, "--nbd-max-connections", "0").config());
    assertThrows(CommandLine.ParameterException.class, () -> parse(null, "--max-sessions", "-1").config());
    assertThrows(CommandLine.ParameterException.class, () -> parse(null, "--nbd-handshake-timeout", "0s").config());
  }

  @Test
  void badFlagsExitNonZeroWithAMessage() {
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new Main());
    cmd.setErr(new PrintWriter(err));
    assertNotEquals(0, cmd.execute("--grpc-port", "seventy"));
    assertTrue(err.toString().contains("seventy"), err.toString());
    assertNotEquals(0, cmd.execute("--no-such-flag"));
  }

  @Test
  void theBareCommandIsALoopbackNodeInTheClear() {
    NodeConfig bare = parse(null).config();
    assertEquals("127.0.0.1", bare.bindHost());
    assertEquals(null, bare.tls());
  }

  @Test
  void aNonLoopbackAddressWithoutTlsRefusesToStartUnlessInsecure() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream was = System.err;
    int exit;
    try {
      System.setErr(new PrintStream(err, true));
      exit = Main.run("--bind", "0.0.0.0", "--data-dir", dir.resolve("data").toString());
    } finally {
      System.setErr(was);
    }
    assertEquals(2, exit);
    assertTrue(err.toString().contains("0.0.0.0 is not a loopback address"), err.toString());
    assertTrue(err.toString().contains("--insecure"), err.toString());
    assertFalse(Files.exists(dir.resolve("data")), "nothing was started");
    var e = assertThrows(CommandLine.ParameterException.class,
        () -> parse(null, "--nbd", "0.0.0.0:10809").config());
    assertTrue(e.getMessage().contains("not a loopback address"), e.getMessage());
    assertEquals("0.0.0.0", parse(null, "--bind", "0.0.0.0", "--insecure").config().bindHost());
  }

  @Test
  void tlsFlagsGoTogetherAndWantGrants() throws Exception {
    var e = assertThrows(CommandLine.ParameterException.class, () -> parse(null, "--tls-cert", "node.pem").config());
    assertTrue(e.getMessage().contains("missing: --tls-key --tls-ca"), e.getMessage());
    Path grants = Files.writeString(dir.resolve("grants"), "ops = admin\n");
    e = assertThrows(CommandLine.ParameterException.class, () -> parse(null, "--grants", grants.toString()).config());
    assertTrue(e.getMessage().contains("it needs TLS"), e.getMessage());
    Files.writeString(grants, "ops = root\n");
    e = assertThrows(CommandLine.ParameterException.class, () -> parse(null, "--grants", grants.toString()).config());
    assertTrue(e.getMessage().contains("line 1: 'root' is not a role"), e.getMessage());
  }

  @Test
  void rootsRepeatOrTakeCommasAndDefaultToTheTemporaryDirectory() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
    NodeConfig bare = parse(null).config();
    assertEquals(List.of(tmp), bare.imageRoots());
    assertEquals(List.of(tmp), bare.diskRoots());
    NodeConfig flags = parse(null, "--image-root", "/srv/images,/var/lib/libvirt/images", "--image-root", "/mnt/x/../golden",
        "--disk-root", "/srv/disks").config();
    assertEquals(List.of(Path.of("/srv/images"), Path.of("/var/lib/libvirt/images"), Path.of("/mnt/golden")), flags.imageRoots());
    assertEquals(List.of(Path.of("/srv/disks")), flags.diskRoots());
    Path file = dir.resolve("node.properties");
    Files.writeString(file, "image-root=/srv/images, /srv/more\ndisk-root=/srv/disks\n");
    NodeConfig fromFile = parse(file).config();
    assertEquals(List.of(Path.of("/srv/images"), Path.of("/srv/more")), fromFile.imageRoots());
    assertEquals(List.of(Path.of("/srv/disks")), fromFile.diskRoots());
  }

  @Test
  void configBuilderRefusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().grpcPort(70000));
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().blocksRegionBytes(1024));
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().bootWindow(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> NodeConfig.builder().backups(-1));
  }
}
