package io.bootcache.client.nbd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * An NBD server (fixed newstyle negotiation, simple replies) serving the exports of an
 * {@link ExportCatalog}. One thread reads each connection's requests and hands them to
 * the export without waiting; another writes the replies as they complete, so many
 * requests are in flight per connection and answered out of order.
 *
 * <pre>
 * NbdServer server = NbdServer.builder().catalog(catalog).listen("127.0.0.1", 10809).start();
 * </pre>
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NbdServer.class.getName());

    /** Settings shared by all connections. */
    record Settings(int maxRequestBytes, long maxInFlightBytes, Duration handshakeTimeout, Duration drainTimeout) {}

    private final ExportCatalog catalog;
    private final Settings settings;
    private final ServerSocket serverSocket;
    private final Thread acceptor;
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionIds = new AtomicLong();
    private volatile boolean closed;

    private NbdServer(Builder b) throws IOException {
        this.catalog = Objects.requireNonNull(b.catalog, "catalog");
        this.settings = new Settings(b.maxRequestBytes, b.maxInFlightBytes, b.handshakeTimeout, b.drainTimeout);
        this.serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(new InetSocketAddress(b.host, b.port), 128);
        this.acceptor = new Thread(this::acceptLoop, "nbd-accept-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return serverSocket.getLocalPort();
    }

    public String host() {
        return serverSocket.getInetAddress().getHostAddress();
    }

    /** Connections currently open. */
    public int connectionCount() {
        return connections.size();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warning("accept failed: " + e);
                }
                continue;
            }
            NbdConnection connection = new NbdConnection(connectionIds.incrementAndGet(), socket, catalog, settings,
                    connections::remove);
            connections.add(connection);
            Thread t = new Thread(connection, "nbd-conn-" + connection.id());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Stops accepting and closes every connection. */
    @Override
    public void close() {
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        connections.forEach(NbdConnection::abort);
    }

    public static final class Builder {
        private ExportCatalog catalog;
        private String host = "127.0.0.1";
        private int port = 10809;
        private int maxRequestBytes = 32 << 20;
        private long maxInFlightBytes = 128L << 20;
        private Duration handshakeTimeout = Duration.ofSeconds(30);
        private Duration drainTimeout = Duration.ofSeconds(60);

        public Builder catalog(ExportCatalog catalog) {
            this.catalog = catalog;
            return this;
        }

        /** Address to listen on; port 0 picks a free port. Default 127.0.0.1:10809. */
        public Builder listen(String host, int port) {
            this.host = host;
            this.port = port;
            return this;
        }

        /** Largest read or write accepted (advertised as the maximum block size). Default 32 MiB. */
        public Builder maxRequestBytes(int bytes) {
            if (bytes < 4096) {
                throw new IllegalArgumentException("maxRequestBytes must be at least 4096");
            }
            this.maxRequestBytes = bytes;
            return this;
        }

        /** Bytes of requests in flight per connection before reading pauses. Default 128 MiB. */
        public Builder maxInFlightBytes(long bytes) {
            this.maxInFlightBytes = bytes;
            return this;
        }

        /** A client must finish option negotiation within this time. Default 30 s. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        public NbdServer start() {
            if (maxInFlightBytes < maxRequestBytes) {
                throw new IllegalArgumentException("maxInFlightBytes must be at least maxRequestBytes");
            }
            try {
                return new NbdServer(this);
            } catch (SocketException e) {
                throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
