package io.bootcache.nbd.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where an NBD export is, written as the NBD URI standard writes it: {@code nbd://HOST[:PORT]/EXPORT}
 * over TCP, or {@code nbd+unix:///EXPORT?socket=PATH} over a Unix domain socket. Exactly one of
 * {@code host} and {@code socket} is set.
 */
public record NbdAddress(String host, int port, Path socket, String export) {
  public static final int DEFAULT_PORT = 10809;

  public NbdAddress {
    if ((host == null) == (socket == null)) throw new IllegalArgumentException("an NBD address has a host or a socket, not both");
    if (host != null && (port < 1 || port > 65535)) throw new IllegalArgumentException("port must be 1..65535, got " + port);
    if (export == null) throw new IllegalArgumentException("export name missing (the empty name is \"\")");
  }

  public static NbdAddress parse(String uri) {
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not an NBD URI: '" + uri + "' (" + e.getReason() + ")");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme();
    String export = u.getPath() == null ? "" : u.getPath().replaceFirst("^/", "");
    switch (scheme) {
      case "nbd" -> {
        if (u.getHost() == null) throw new IllegalArgumentException("no host in '" + uri + "' (nbd://HOST[:PORT]/EXPORT)");
        return new NbdAddress(u.getHost(), u.getPort() < 0 ? DEFAULT_PORT : u.getPort(), null, export);
      }
      case "nbd+unix" -> {
        String socket = socketParameter(u.getRawQuery());
        if (socket == null) throw new IllegalArgumentException("no socket in '" + uri + "' (nbd+unix:///EXPORT?socket=PATH)");
        return new NbdAddress(null, 0, Path.of(socket), export);
      }
      default -> throw new IllegalArgumentException("not an NBD URI: '" + uri
          + "' (nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH; TLS is not supported)");
    }
  }

  private static String socketParameter(String rawQuery) {
    if (rawQuery == null) return null;
    for (String pair : rawQuery.split("&")) {
      if (pair.startsWith("socket=")) return URLDecoder.decode(pair.substring("socket=".length()), StandardCharsets.UTF_8);
    }
    return null;
  }

  /** A connected, blocking channel to the server; a TCP connect gives up after {@code timeout}. */
  SocketChannel connect(Duration timeout) throws IOException {
    SocketChannel ch = socket != null ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
    try {
      if (socket != null) {
        ch.connect(UnixDomainSocketAddress.of(socket));
      } else {
        ch.socket().connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        // requests are small and latency is what is measured
        ch.socket().setTcpNoDelay(true);
      }
      return ch;
    } catch (IOException e) {
      ch.close();
      throw new IOException("cannot connect to " + this + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return socket != null ? "nbd+unix:///" + export + "?socket=" + socket
        : "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/" + export;
  }
}
