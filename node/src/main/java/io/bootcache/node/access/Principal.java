package io.bootcache.node.access;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Who asks: the subject CN of the client certificate a TLS connection presented, or the local
 * principal on a connection without TLS (loopback without TLS configured, a Unix socket).
 */
public record Principal(String name, boolean local) {
  /** The one principal of connections without TLS; file permissions or loopback guard them. */
  public static final Principal LOCAL = new Principal("local", true);

  public Principal {
    Objects.requireNonNull(name, "name");
  }

  /** A principal named by a certificate (or a grants file). */
  public static Principal named(String name) {
    return new Principal(name, false);
  }

  /** The principal of a connection: its peer's certificate CN with TLS, the local one without (null session). */
  public static Principal of(SSLSession session) {
    if (session == null) return LOCAL;
    try {
      Certificate[] peer = session.getPeerCertificates();
      return of((X509Certificate) peer[0]);
    } catch (SSLPeerUnverifiedException e) {
      return named(""); // no certificate: nobody, with no grant
    }
  }

  /**
   * The certificate's subject CN (the most specific one, if it has several); a certificate without
   * one names nobody (""), who has no grant.
   */
  public static Principal of(X509Certificate certificate) {
    String cn = "";
    try {
      LdapName subject = new LdapName(certificate.getSubjectX500Principal().getName(X500Principal.RFC2253));
      for (Rdn rdn : subject.getRdns()) { // least specific first
        if (rdn.getType().equalsIgnoreCase("CN")) cn = rdn.getValue().toString();
      }
    } catch (InvalidNameException e) {
      // not a name we can read: nobody
    }
    return named(cn);
  }

  @Override
  public String toString() {
    return local ? "the local principal" : "principal '" + name + "'";
  }
}
