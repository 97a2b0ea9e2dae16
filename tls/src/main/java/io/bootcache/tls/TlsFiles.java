package io.bootcache.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS material of a node or a client, from three PEM files: its certificate (with any
 * intermediates after it), its private key (unencrypted PKCS#8, as openssl 3 writes it), and the CA
 * whose certificates it accepts from peers. Everything is read and checked when loaded, so that a
 * wrong file fails at start with a message naming it; the key stays in memory, never written again.
 */
public final class TlsFiles {
  /** Protects the key inside the in-memory key store only; nothing is stored with it. */
  private static final char[] IN_MEMORY = "in-memory".toCharArray();
  private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"};
  private static final Map<String, String> SIGNATURES =
      Map.of("RSA", "SHA256withRSA", "EC", "SHA256withECDSA", "EdDSA", "EdDSA", "Ed25519", "Ed25519");

  private final Path certFile;
  private final Path keyFile;
  private final Path caFile;
  private final List<X509Certificate> chain;
  private final PrivateKey key;
  private final List<X509Certificate> authorities;

  private TlsFiles(Path certFile, Path keyFile, Path caFile) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.caFile = caFile;
    this.chain = certificates(certFile);
    this.key = privateKey(keyFile);
    this.authorities = certificates(caFile);
    checkKeyMatches();
    checkValid(chain.get(0), certFile);
  }

  /** Reads and checks the three files; an IllegalArgumentException says which one is wrong and how. */
  public static TlsFiles load(Path cert, Path key, Path ca) {
    return new TlsFiles(Objects.requireNonNull(cert, "cert"), Objects.requireNonNull(key, "key"),
        Objects.requireNonNull(ca, "ca"));
  }

  /**
   * The files of the options --tls-cert, --tls-key and --tls-ca, which go together: loaded when all
   * three are given, null when none is, an error naming the missing ones otherwise.
   */
  public static TlsFiles fromOptions(Path cert, Path key, Path ca) {
    if (cert == null && key == null && ca == null) return null;
    if (cert == null || key == null || ca == null) {
      throw new IllegalArgumentException("--tls-cert, --tls-key and --tls-ca go together; missing:"
          + (cert == null ? " --tls-cert" : "") + (key == null ? " --tls-key" : "") + (ca == null ? " --tls-ca" : ""));
    }
    return load(cert, key, ca);
  }

  public Path certFile() { return certFile; }
  public Path keyFile() { return keyFile; }
  public Path caFile() { return caFile; }

  /** This side's own certificate (the first of its file). */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** Offers this side's certificate and key. */
  public KeyManagerFactory keyManagers() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("key", key, IN_MEMORY, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      f.init(store, IN_MEMORY);
      return f;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot hold the key of " + keyFile + " in a key store: " + e.getMessage(), e);
    }
  }

  /** Accepts a peer whose certificate the CA signed, and no other. */
  public TrustManagerFactory trustManagers() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < authorities.size(); i++) store.setCertificateEntry("ca-" + i, authorities.get(i));
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      return f;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot trust the CA of " + caFile + ": " + e.getMessage(), e);
    }
  }

  /** A TLS context with both: what a server or a client of this side uses. */
  public SSLContext context() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keyManagers().getKeyManagers(), trustManagers().getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a TLS context: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "cert=" + certFile + " (" + certificate().getSubjectX500Principal().getName() + "), key=" + keyFile
        + ", ca=" + caFile;
  }

  private static List<X509Certificate> certificates(Path file) {
    List<X509Certificate> out = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Pem block : Pem.read(file)) {
        if (!block.type().equals("CERTIFICATE")) continue;
        out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException(file + " holds a certificate that cannot be read: " + e.getMessage(), e);
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + " holds no certificate (-----BEGIN CERTIFICATE-----)");
    return out;
  }

  private static PrivateKey privateKey(Path file) {
    for (Pem block : Pem.read(file)) {
      switch (block.type()) {
        case "PRIVATE KEY" -> {
          return pkcs8(block.der(), file);
        }
        case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(file + " is encrypted: give the key "
            + "unencrypted, readable by its user only (openssl pkcs8 -topk8 -nocrypt -in " + file + " -out KEY)");
        case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new IllegalArgumentException(file + " is a " + block.type()
            + " (PKCS#1 or SEC1): convert it to PKCS#8 with openssl pkcs8 -topk8 -nocrypt -in " + file + " -out KEY");
        default -> { }
      }
    }
    throw new IllegalArgumentException(file + " holds no private key (-----BEGIN PRIVATE KEY-----)");
  }

  private static PrivateKey pkcs8(byte[] der, Path file) {
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException notThisOne) {
        // try the next algorithm
      }
    }
    throw new IllegalArgumentException(file + " holds a private key of an algorithm Java does not know");
  }

  /** A key that is not the certificate's fails every handshake with an obscure message: say so now. */
  private void checkKeyMatches() {
    String algorithm = SIGNATURES.get(key.getAlgorithm());
    if (algorithm == null) return;
    try {
      byte[] probe = "bootcache".getBytes(StandardCharsets.US_ASCII);
      Signature sign = Signature.getInstance(algorithm);
      sign.initSign(key);
      sign.update(probe);
      byte[] signature = sign.sign();
      Signature verify = Signature.getInstance(algorithm);
      verify.initVerify(certificate().getPublicKey());
      verify.update(probe);
      if (verify.verify(signature)) return;
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's: not a match either
    }
    throw new IllegalArgumentException("the key in " + keyFile + " is not the key of the certificate in " + certFile);
  }

  private static void checkValid(X509Certificate certificate, Path file) {
    try {
      certificate.checkValidity();
    } catch (CertificateException e) {
      throw new IllegalArgumentException("the certificate in " + file + " is not valid now (from "
          + certificate.getNotBefore() + " to " + certificate.getNotAfter() + ")", e);
    }
  }
}
