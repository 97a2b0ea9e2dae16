package io.bootcache.nbd;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

/**
 * An NBD server (fixed newstyle negotiation, simple and structured replies) serving the exports of
 * an {@link ExportCatalog} on TCP, on a Unix socket, or on a listening socket it inherits (systemd
 * socket activation). Each connection lives on one network thread: its requests are parsed there,
 * handed to the export without waiting, and answered as they complete, out of order; an answer the
 * export has at hand is written right away. Memory is bounded per connection: past
 * {@code maxInFlightBytes} or {@code maxInFlightRequests} of requests being served (their answers
 * not yet on the socket), the server stops reading that connection.
 * With TLS, a TCP client must upgrade with NBD_OPT_STARTTLS and show a certificate the context
 * trusts before any other option is answered; Unix sockets stay plain, guarded by file permissions.
 *
 * <pre>
 * NbdServer server = NbdServer.builder().catalog(catalog).listen("127.0.0.1", 10809).start();
 * </pre>
 */
public final class NbdServer implements AutoCloseable {
  /** Settings shared by all connections. */
  record Settings(int maxRequestBytes, long maxInFlightBytes, int maxInFlightRequests, Duration handshakeTimeout,
      Duration drainTimeout) {}

  private final Function<SSLSession, ExportCatalog> catalogs;
  private final SSLContext tls; // null: no TLS
  private final Settings settings;
  private final int maxConnections;
  private final EventLoopGroup group;
  /** Catalog look-ups and export opening and closing, which may block: never on a network thread. */
  private final ExecutorService blocking;
  private final List<Channel> listeners = new ArrayList<>();
  private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
  private final Path socketPath;

  private static final Logger LOG = Logger.getLogger(NbdServer.class.getName());

  private NbdServer(Builder b) {
    this.catalogs = Objects.requireNonNull(b.catalogs, "catalog");
    this.tls = b.tls;
    this.settings = new Settings(b.maxRequestBytes, b.maxInFlightBytes, b.maxInFlightRequests, b.handshakeTimeout,
        b.drainTimeout);
    this.maxConnections = b.maxConnections;
    this.socketPath = b.socketPath;
    this.group = new MultiThreadIoEventLoopGroup(b.ioThreads, new DefaultThreadFactory("nbd-io", true),
        NioIoHandler.newFactory());
    this.blocking = Executors.newCachedThreadPool(new DefaultThreadFactory("nbd-blocking", true));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The bound TCP port (useful with port 0), or -1 when the server listens on no TCP address. */
  public int port() {
    for (Channel c : listeners) {
      if (c.localAddress() instanceof InetSocketAddress a) return a.getPort();
    }
    return -1;
  }

  /** The Unix socket the server listens on, or null. */
  public Path socketPath() {
    return socketPath;
  }

  /** The URI of an export of this server: on its Unix socket if it has one, else on its TCP address (nbds:// with TLS). */
  public String uri(String export) {
    if (socketPath != null) return "nbd+unix:///" + export + "?socket=" + socketPath;
    for (Channel c : listeners) {
      if (c.localAddress() instanceof InetSocketAddress a) {
        return (tls == null ? "nbd://" : "nbds://") + a.getAddress().getHostAddress() + ":" + a.getPort() + "/" + export;
      }
    }
    return "nbd+unix:///" + export + "?socket=" + listeners.get(0).localAddress();
  }

  /** Connections currently open. */
  public int connectionCount() {
    return connections.size();
  }

  /** Accepts connections on a listening channel; TLS on TCP only. */
  private void bind(Supplier<? extends ServerChannel> channel, SocketAddress address, boolean unix) {
    SSLContext connectionTls = unix ? null : tls;
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channelFactory(channel::get)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            if (connections.size() >= maxConnections) {
              LOG.warning("connection from " + ch.remoteAddress() + " refused: " + maxConnections
                  + " NBD connections are open, the most this server takes");
              ch.close(); // over the cap: refused before a byte is read
              return;
            }
            connections.add(ch);
            ch.closeFuture().addListener(f -> connections.remove(ch));
            ch.pipeline().addLast(new NbdConnection(catalogs, connectionTls, settings, blocking));
          }
        });
    if (address != null) {
      b.option(ChannelOption.SO_BACKLOG, 128);
      listeners.add(b.bind(address).syncUninterruptibly().channel());
    } else {
      listeners.add(b.register().syncUninterruptibly().channel()); // inherited: bound already
    }
  }

  /** Stops accepting and closes every connection. */
  @Override
  public void close() {
    for (Channel c : listeners) c.close().awaitUninterruptibly();
    for (Channel c : connections) c.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    blocking.shutdown();
    if (socketPath != null) {
      try {
        Files.deleteIfExists(socketPath);
      } catch (IOException ignored) {
        // someone removed it first
      }
    }
  }

  public static final class Builder {
    private Function<SSLSession, ExportCatalog> catalogs;
    private SSLContext tls;
    private String host;
    private int port = -1;
    private Path socketPath;
    private ServerSocketChannel inherited;
    private int maxRequestBytes = 32 << 20;
    private long maxInFlightBytes = 64L << 20;
    private int maxInFlightRequests = 512;
    private int maxConnections = 256;
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration drainTimeout = Duration.ofSeconds(60);
    private int ioThreads = Math.max(1, Runtime.getRuntime().availableProcessors());

    private Builder() {}

    /** The same exports for every client. */
    public Builder catalog(ExportCatalog catalog) {
      Objects.requireNonNull(catalog);
      this.catalogs = session -> catalog;
      return this;
    }

    /**
     * The exports each client may see, from its TLS session (its certificate), or from null on a
     * connection without TLS; asked once per connection, when it first needs them.
     */
    public Builder catalogPerClient(Function<SSLSession, ExportCatalog> catalogs) {
      this.catalogs = Objects.requireNonNull(catalogs);
      return this;
    }

    /**
     * TLS on TCP: every client must NBD_OPT_STARTTLS first (other options get NBD_REP_ERR_TLS_REQD) and
     * show a client certificate that {@code context} trusts. Unix sockets stay plain.
     */
    public Builder tls(SSLContext context) {
      this.tls = Objects.requireNonNull(context);
      return this;
    }

    /** A TCP address to listen on; port 0 picks a free port. */
    public Builder listen(String host, int port) {
      if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
      this.host = Objects.requireNonNull(host);
      this.port = port;
      return this;
    }

    /**
     * A Unix socket to listen on (as qemu-nbd -k and nbdkit -U offer). A socket left there by a server
     * that died is replaced; any other file is refused.
     */
    public Builder unixSocket(Path path) {
      Path absolute = path.toAbsolutePath();
      if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS) && !isSocket(absolute)) {
        throw new IllegalArgumentException(absolute + " exists and is not a socket");
      }
      this.socketPath = absolute;
      return this;
    }

    /** A listening socket handed over by the service manager (systemd socket activation). */
    public Builder inherited(ServerSocketChannel channel) {
      this.inherited = Objects.requireNonNull(channel);
      return this;
    }

    /** Largest read or write accepted (advertised as the maximum block size). Default 32 MiB. */
    public Builder maxRequestBytes(int bytes) {
      if (bytes < 4096) throw new IllegalArgumentException("maxRequestBytes must be at least 4096, got " + bytes);
      this.maxRequestBytes = bytes;
      return this;
    }

    /** Bytes of requests served at once per connection before the server stops reading it. Default 64 MiB. */
    public Builder maxInFlightBytes(long bytes) {
      if (bytes < 4096) throw new IllegalArgumentException("maxInFlightBytes must be at least 4096, got " + bytes);
      this.maxInFlightBytes = bytes;
      return this;
    }

    /** Requests served at once per connection before the server stops reading it. Default 512. */
    public Builder maxInFlightRequests(int n) {
      if (n < 1) throw new IllegalArgumentException("maxInFlightRequests must be positive, got " + n);
      this.maxInFlightRequests = n;
      return this;
    }

    /** Connections open at once; more are closed at once, with a log line. Default 256. */
    public Builder maxConnections(int n) {
      if (n < 1) throw new IllegalArgumentException("maxConnections must be positive, got " + n);
      this.maxConnections = n;
      return this;
    }

    /** A client must finish the whole negotiation within this time. Default 10 s. */
    public Builder handshakeTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("handshakeTimeout must be positive");
      this.handshakeTimeout = timeout;
      return this;
    }

    /** How long a disconnecting client's requests in flight may take to be answered. Default 60 s. */
    public Builder drainTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("drainTimeout must be positive");
      this.drainTimeout = timeout;
      return this;
    }

    /** Network threads; each connection lives on one. Default: one per core. */
    public Builder ioThreads(int n) {
      if (n < 1) throw new IllegalArgumentException("ioThreads must be positive, got " + n);
      this.ioThreads = n;
      return this;
    }

    public NbdServer start() {
      if (port < 0 && socketPath == null && inherited == null) {
        throw new IllegalStateException("give the server an address: listen(host, port), socket(path) or inherited(channel)");
      }
      NbdServer server = new NbdServer(this);
      try {
        if (port >= 0) server.bind(NioServerSocketChannel::new, new InetSocketAddress(host, port), false);
        if (socketPath != null) {
          replaceStaleSocket(socketPath);
          server.bind(NioServerDomainSocketChannel::new, UnixDomainSocketAddress.of(socketPath), true);
        }
        if (inherited != null) {
          boolean unix = inherited.getLocalAddress() instanceof UnixDomainSocketAddress;
          server.bind(unix ? () -> new NioServerDomainSocketChannel(inherited) : () -> new NioServerSocketChannel(inherited),
              null, unix);
        }
        return server;
      } catch (IOException | RuntimeException e) {
        server.close();
        String where = port >= 0 ? host + ":" + port : socketPath != null ? socketPath.toString() : "the inherited socket";
        throw new UncheckedIOException(new IOException("cannot listen on " + where + ": " + e.getMessage(), e));
      }
    }

    private static void replaceStaleSocket(Path path) throws IOException {
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return;
      if (!isSocket(path)) throw new IOException(path + " exists and is not a socket");
      Files.delete(path);
    }

    private static boolean isSocket(Path path) {
      try {
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0140000;
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }
  }
}
