package io.bootcache.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority of the tests' own, made with openssl as the README tells an operator to:
 * a self-signed CA, and certificates it signs for a CN (serverAuth and clientAuth, valid for
 * localhost and 127.0.0.1), each in its own directory as cert.pem, key.pem and ca.pem.
 */
public final class TestCertificates {
  private final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /** A new CA in {@code dir}. */
  public static TestCertificates authority(Path dir) {
    TestCertificates ca = new TestCertificates(dir);
    ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bootcache test CA " + dir.getFileName(),
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    return ca;
  }

  /** The CA's certificate. */
  public Path ca() {
    return dir.resolve("ca.pem");
  }

  /** A certificate for {@code cn}, signed by this CA. */
  public Issued issue(String cn) {
    Path out = dir.resolve(cn.replaceAll("[^A-Za-z0-9._-]", "_"));
    try {
      Files.createDirectories(out);
      Files.writeString(out.resolve("ext.cnf"), String.join("\n",
          "basicConstraints=CA:FALSE",
          "keyUsage=critical,digitalSignature,keyEncipherment",
          "extendedKeyUsage=serverAuth,clientAuth",
          "subjectAltName=DNS:localhost,IP:127.0.0.1", ""));
      Files.copy(ca(), out.resolve("ca.pem"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String d = out.getFileName() + "/";
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", d + "key.pem", "-out", d + "req.csr", "-subj", "/CN=" + cn);
    openssl("x509", "-req", "-in", d + "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", d + "ext.cnf", "-out", d + "cert.pem");
    return new Issued(out.resolve("cert.pem"), out.resolve("key.pem"), out.resolve("ca.pem"));
  }

  /** A certificate, its key and the CA that signed it. */
  public record Issued(Path cert, Path key, Path ca) {
    public TlsFiles files() {
      return TlsFiles.load(cert, key, ca);
    }

    /** A directory as libnbd's tls-certificates= and QEMU's tls-creds-x509 dir= want a client's. */
    public Path clientDirectory() {
      Path dir = cert.resolveSibling("client-dir");
      try {
        Files.createDirectories(dir);
        Files.copy(ca, dir.resolve("ca-cert.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(cert, dir.resolve("client-cert.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(key, dir.resolve("client-key.pem"), StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return dir;
    }
  }

  private void openssl(String... args) {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run openssl (is it installed?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
