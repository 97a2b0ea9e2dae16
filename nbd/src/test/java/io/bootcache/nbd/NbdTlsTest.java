package io.bootcache.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.tls.TestCertificates;
import io.bootcache.tls.TlsFiles;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NBD over TLS as the specification has it (NBD_OPT_STARTTLS, then the negotiation inside TLS),
 * spoken by a raw client and by libnbd's and QEMU's own TLS, with certificates openssl made. Each
 * client's catalog comes from its certificate: "reader" sees the export, anyone else nothing.
 */
class NbdTlsTest {
  static final int SIZE = 1024 * 1024 + 333;

  @TempDir
  static Path dir;
  static byte[] image;
  static FileExport export;
  static TestCertificates ca;
  static TestCertificates.Issued reader;
  static NbdServer server;

  @BeforeAll
  static void start() throws IOException {
    image = new byte[SIZE];
    new Random(7).nextBytes(image);
    export = FileExport.readOnly("img", Files.write(dir.resolve("img.raw"), image));
    ca = TestCertificates.authority(Files.createDirectories(dir.resolve("ca")));
    reader = ca.issue("reader");
    server = NbdServer.builder()
        .catalogPerClient(NbdTlsTest::catalogOf)
        .tls(ca.issue("server").files().context())
        .listen("127.0.0.1", 0)
        .unixSocket(dir.resolve("nbd.sock"))
        .start();
  }

  /** The export for the CN "reader" and for plain (Unix socket) clients; nothing for other certificates. */
  static ExportCatalog catalogOf(SSLSession session) {
    if (session == null) return ExportCatalog.of(List.of(export));
    try {
      String subject = ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
      return ExportCatalog.of(subject.equals("CN=reader") ? List.of(export) : List.of());
    } catch (SSLPeerUnverifiedException e) {
      throw new AssertionError("a TLS client got this far without a certificate", e);
    }
  }

  @AfterAll
  static void stop() throws IOException {
    server.close();
    export.close();
  }

  @Test
  void beforeTlsEveryOptionButStartTlsAndAbortIsRefusedWithTlsRequired() throws IOException {
    try (RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      for (int option : new int[] {Nbd.OPT_LIST, Nbd.OPT_STRUCTURED_REPLY, Nbd.OPT_INFO, Nbd.OPT_GO}) {
        c.sendOption(option, option == Nbd.OPT_INFO || option == Nbd.OPT_GO ? RawNbdClient.goData("img") : new byte[0]);
        RawNbdClient.OptionReply r = c.readOptionReply();
        assertEquals(option, r.option());
        assertEquals(Nbd.REP_ERR_TLS_REQD, r.type(), "option " + option);
      }
      c.sendOption(Nbd.OPT_STARTTLS, new byte[] {1});
      assertEquals(Nbd.REP_ERR_INVALID, c.readOptionReply().type(), "NBD_OPT_STARTTLS takes no data");
      c.sendOption(Nbd.OPT_ABORT, new byte[0]);
      assertEquals(Nbd.REP_ACK, c.readOptionReply().type());
      assertTrue(c.closedByServer());
    }
    try (RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      c.sendOption(Nbd.OPT_EXPORT_NAME, "img".getBytes(StandardCharsets.UTF_8));
      assertTrue(c.closedByServer(), "NBD_OPT_EXPORT_NAME cannot be refused with an error: the server hangs up");
    }
  }

  @Test
  void afterStartTlsTheNegotiationGoesOnInsideTls() throws IOException {
    try (RawNbdClient c = startTls(reader.files())) {
      c.sendOption(Nbd.OPT_STARTTLS, new byte[0]);
      assertEquals(Nbd.REP_ERR_INVALID, c.readOptionReply().type(), "TLS is on already");
      long[] sizeAndFlags = c.go("img");
      assertEquals(SIZE, sizeAndFlags[0]);
      c.request(Nbd.CMD_READ, 0, 1, 4096, 8192);
      RawNbdClient.SimpleReply r = c.readSimpleReply(8192);
      assertEquals(0, r.error());
      assertArrayEquals(Arrays.copyOfRange(image, 4096, 4096 + 8192), r.data());
    }
  }

  @Test
  void eachClientSeesTheCatalogOfItsCertificate() throws IOException {
    try (RawNbdClient c = startTls(ca.issue("stranger").files())) {
      c.sendOption(Nbd.OPT_GO, RawNbdClient.goData("img"));
      assertEquals(Nbd.REP_ERR_UNKNOWN, c.readOptionReply().type());
    }
  }

  @Test
  void aClientWithoutACertificateOrWithAnotherCasIsRefused() throws IOException {
    SSLContext trustOnly;
    try {
      trustOnly = SSLContext.getInstance("TLS");
      trustOnly.init(null, reader.files().trustManagers().getTrustManagers(), null);
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
    // refused by the TLS handshake itself (an alert), not by anything later
    assertThrows(SSLException.class, () -> goAfterStartTls(trustOnly));
    TestCertificates other = TestCertificates.authority(Files.createDirectories(dir.resolve("other")));
    TestCertificates.Issued forged = other.issue("reader");
    assertThrows(SSLException.class, () -> goAfterStartTls(TlsFiles.load(forged.cert(), forged.key(), ca.ca()).context()));
  }

  @Test
  void aUnixSocketStaysPlain() throws IOException {
    Tools.Result r = Tools.run("nbdinfo", "--size", "nbd+unix:///img?socket=" + dir.resolve("nbd.sock")).ok();
    assertEquals(Long.toString(SIZE), r.out().strip());
  }

  @Test
  void libnbdReadsOverTlsWithItsCertificateDirectory() throws IOException {
    Path copy = dir.resolve("libnbd-copy.raw");
    String uri = "nbds://127.0.0.1:" + server.port() + "/img?tls-certificates=" + reader.clientDirectory();
    Tools.run("nbdcopy", uri, copy.toString()).ok();
    assertArrayEquals(image, Files.readAllBytes(copy));
    Tools.Result plain = Tools.run("nbdinfo", "nbd://127.0.0.1:" + server.port() + "/img");
    assertNotEquals(0, plain.exit(), "a plain client is refused: " + plain.out());
  }

  @Test
  void qemuReadsOverTlsWithTlsCredsX509() throws IOException {
    Path copy = dir.resolve("qemu-copy.raw");
    Tools.run("qemu-img", "convert", "-O", "raw",
        "--object", "tls-creds-x509,id=tls0,endpoint=client,dir=" + reader.clientDirectory(),
        "--image-opts", "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + server.port()
            + ",export=img,tls-creds=tls0", copy.toString()).ok();
    byte[] read = Files.readAllBytes(copy);
    // QEMU sees the export rounded up to whole 512-byte sectors, the tail read as zeros
    assertEquals((SIZE + 511) / 512 * 512, read.length);
    assertArrayEquals(image, Arrays.copyOf(read, SIZE));
    assertArrayEquals(new byte[read.length - SIZE], Arrays.copyOfRange(read, SIZE, read.length));
  }

  /** A client that greets, asks for TLS, and shakes hands showing {@code client}'s certificate. */
  static RawNbdClient startTls(TlsFiles client) throws IOException {
    return startTls(client.context());
  }

  static RawNbdClient startTls(SSLContext context) throws IOException {
    RawNbdClient plain = new RawNbdClient(server.port()).greet();
    plain.sendOption(Nbd.OPT_STARTTLS, new byte[0]);
    assertEquals(Nbd.REP_ACK, plain.readOptionReply().type());
    Socket socket = plain.socket;
    SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, "127.0.0.1", socket.getPort(), true);
    tls.setUseClientMode(true);
    tls.startHandshake();
    return new RawNbdClient(tls);
  }

  private static void goAfterStartTls(SSLContext context) throws IOException {
    try (RawNbdClient c = startTls(context)) {
      c.go("img");
    }
  }
}
