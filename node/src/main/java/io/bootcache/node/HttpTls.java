package io.bootcache.node;

import io.bootcache.tls.TlsFiles;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;

/** The node's HTTP servers (gRPC, admin) over TLS with its certificate; clients checked against its CA. */
public final class HttpTls {
  private HttpTls() {}

  /** The options, secured when the node has TLS material (null: left in the clear). */
  public static HttpServerOptions secure(HttpServerOptions options, TlsFiles tls, ClientAuth clientCertificates) {
    if (tls == null) return options;
    return options.setSsl(true).setUseAlpn(true)
        .setKeyCertOptions(KeyCertOptions.wrap(tls.keyManagers()))
        .setTrustOptions(TrustOptions.wrap(tls.trustManagers()))
        .setClientAuth(clientCertificates);
  }
}
