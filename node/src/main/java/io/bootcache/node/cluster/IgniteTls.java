package io.bootcache.node.cluster;

import io.bootcache.tls.TlsFiles;
import java.nio.file.Path;
import javax.cache.configuration.Factory;
import javax.net.ssl.SSLContext;

/**
 * Ignite's discovery and communication over TLS with the node's own certificate, key and CA, read
 * from the PEM files into in-memory key and trust stores: no second copy of the private key is
 * written anywhere, and a certificate renewed in place is what a restarted node uses. Ignite requires
 * a client certificate of every node that connects, so only a holder of one the CA signed can join.
 * Serializable as Ignite's configuration must be: it holds the paths, not the key.
 */
final class IgniteTls implements Factory<SSLContext> {
  private static final long serialVersionUID = 1L;
  private final String cert;
  private final String key;
  private final String ca;

  IgniteTls(TlsFiles files) {
    this.cert = files.certFile().toString();
    this.key = files.keyFile().toString();
    this.ca = files.caFile().toString();
  }

  @Override
  public SSLContext create() {
    return TlsFiles.load(Path.of(cert), Path.of(key), Path.of(ca)).context();
  }
}
