package io.bootcache.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsFilesTest {
  @TempDir
  static Path dir;
  static TestCertificates ca;
  static TestCertificates.Issued server;
  static TestCertificates.Issued client;

  @BeforeAll
  static void certificates() throws Exception {
    ca = TestCertificates.authority(Files.createDirectories(dir.resolve("ca")));
    server = ca.issue("node-1");
    client = ca.issue("host-a");
  }

  @Test
  void loadsWhatOpensslMade() {
    TlsFiles files = server.files();
    assertEquals("CN=node-1", files.certificate().getSubjectX500Principal().getName());
    assertEquals(1, files.keyManagers().getKeyManagers().length);
  }

  @Test
  void peersOfTheSameCaShakeHands() throws Exception {
    assertEquals("CN=host-a", handshake(server.files(), client.files()));
  }

  @Test
  void aClientOfAnotherCaIsRefusedByTheServer() throws Exception {
    TestCertificates other = TestCertificates.authority(Files.createDirectories(dir.resolve("other")));
    TestCertificates.Issued stranger = other.issue("host-a");
    // the stranger trusts the server: what refuses it is the server's check of its certificate
    TlsFiles strangerTrustingUs = TlsFiles.load(stranger.cert(), stranger.key(), ca.ca());
    assertThrows(SSLException.class, () -> handshake(server.files(), strangerTrustingUs));
    // and a client of the right CA refuses a server of another
    assertThrows(SSLException.class, () -> handshake(TlsFiles.load(stranger.cert(), stranger.key(), ca.ca()),
        client.files()));
  }

  @Test
  void aKeyOfAnotherCertificateIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TlsFiles.load(server.cert(), client.key(), server.ca()));
    assertTrue(e.getMessage().contains("is not the key of the certificate"), e.getMessage());
  }

  @Test
  void filesThatAreNotPemAreNamed() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TlsFiles.load(junk, server.key(), server.ca()));
    assertTrue(e.getMessage().contains(junk + " holds no PEM block"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TlsFiles.load(server.cert(), server.cert(), server.ca()));
    assertTrue(e.getMessage().contains("holds no private key"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TlsFiles.load(server.cert(), server.key(), dir.resolve("missing.pem")));
    assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
  }

  @Test
  void aTraditionalKeyIsRefusedWithTheCommandThatConvertsIt() throws Exception {
    Path sec1 = dir.resolve("sec1.key");
    Process p = new ProcessBuilder("openssl", "ec", "-in", server.key().toString(), "-out", sec1.toString())
        .redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TlsFiles.load(server.cert(), sec1, server.ca()));
    assertTrue(e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"), e.getMessage());
  }

  /** A TLS connection on loopback with client certificates required; the server's view of the client. */
  private static String handshake(TlsFiles serverSide, TlsFiles clientSide) throws Exception {
    try (SSLServerSocket listener = (SSLServerSocket) serverSide.context().getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) listener.accept(); OutputStream out = s.getOutputStream()) {
          out.write(1);
          out.flush();
          return s.getSession().getPeerPrincipal().getName();
        } catch (Exception e) {
          return "refused: " + e;
        }
      });
      try (SSLSocket s = (SSLSocket) clientSide.context().getSocketFactory()
          .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort()); InputStream in = s.getInputStream()) {
        s.startHandshake();
        int first = in.read();
        String server = seen.get(10, TimeUnit.SECONDS);
        if (server.startsWith("refused")) throw new SSLException("the server " + server);
        assertEquals(1, first);
        return server;
      }
    }
  }
}
