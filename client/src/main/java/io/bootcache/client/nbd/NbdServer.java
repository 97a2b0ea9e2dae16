package io.bootcache.client.nbd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * An NBD server (fixed newstyle negotiation, simple replies) serving the exports of an
 * {@link ExportCatalog} on TCP, on a Unix domain socket, or on a listening socket it was handed
 * (systemd socket activation). One thread reads each connection's requests and hands them to
 * the export without waiting; another writes the replies as they complete, so many
 * requests are in flight per connection and answered out of order.
 *
 * <pre>
 * NbdServer server = NbdServer.builder().catalog(catalog).listen("127.0.0.1", 10809).start();
 * NbdServer server = NbdServer.builder().catalog(catalog).unixSocket(Path.of("/run/bootcache/nbd.sock")).start();
 * </pre>
 */
public final class NbdServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NbdServer.class.getName());

    /** Settings shared by all connections. */
    record Settings(int maxRequestBytes, long maxInFlightBytes, Duration handshakeTimeout, Duration drainTimeout) {}

    private final ExportCatalog catalog;
    private final Settings settings;
    private final ServerSocketChannel serverChannel;
    private final SocketAddress localAddress;
    /** The Unix socket file this server created, removed when it closes; null otherwise. */
    private final Path ownSocketFile;
    private final ScheduledExecutorService handshakeTimer;
    private final Thread acceptor;
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionIds = new AtomicLong();
    private volatile boolean closed;

    private NbdServer(Builder b, ServerSocketChannel serverChannel, Path ownSocketFile) throws IOException {
        this.catalog = b.catalog;
        this.settings = new Settings(b.maxRequestBytes, b.maxInFlightBytes, b.handshakeTimeout, b.drainTimeout);
        this.serverChannel = serverChannel;
        this.localAddress = serverChannel.getLocalAddress();
        this.ownSocketFile = ownSocketFile;
        this.handshakeTimer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "nbd-handshake-timer"));
        this.acceptor = daemon(this::acceptLoop, "nbd-accept " + localAddress);
        acceptor.start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Where this server listens: an {@link InetSocketAddress} or a {@link UnixDomainSocketAddress}. */
    public SocketAddress localAddress() {
        return localAddress;
    }

    /** The bound TCP port (useful with port 0). */
    public int port() {
        return tcpAddress().getPort();
    }

    /** The bound TCP address. */
    public String host() {
        return tcpAddress().getAddress().getHostAddress();
    }

    /** The NBD URI of an export here: {@code nbd://HOST:PORT/EXPORT} or {@code nbd+unix:///EXPORT?socket=PATH}. */
    public String uri(String export) {
        if (localAddress instanceof UnixDomainSocketAddress unix) {
            return "nbd+unix:///" + export + "?socket=" + unix.getPath();
        }
        String host = host();
        return "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port() + "/" + export;
    }

    /** Connections currently open. */
    public int connectionCount() {
        return connections.size();
    }

    private InetSocketAddress tcpAddress() {
        if (localAddress instanceof InetSocketAddress inet) {
            return inet;
        }
        throw new IllegalStateException("this server listens on " + localAddress + ", not on TCP");
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel channel;
            try {
                channel = serverChannel.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warning("accept failed: " + e);
                }
                continue;
            }
            NbdConnection connection = new NbdConnection(connectionIds.incrementAndGet(), channel, catalog, settings,
                    handshakeTimer, connections::remove);
            connections.add(connection);
            daemon(connection, "nbd-conn-" + connection.id()).start();
        }
    }

    /** Stops accepting, closes every connection, and removes the Unix socket file it created. */
    @Override
    public void close() {
        closed = true;
        try {
            serverChannel.close();
            if (ownSocketFile != null) {
                Files.deleteIfExists(ownSocketFile);
            }
        } catch (IOException e) {
            LOG.fine("closing " + localAddress + ": " + e);
        }
        connections.forEach(NbdConnection::abort);
        handshakeTimer.shutdownNow();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public static final class Builder {
        private ExportCatalog catalog;
        private SocketAddress address = new InetSocketAddress("127.0.0.1", 10809);
        private ServerSocketChannel channel;
        private int maxRequestBytes = 32 << 20;
        private long maxInFlightBytes = 128L << 20;
        private Duration handshakeTimeout = Duration.ofSeconds(30);
        private Duration drainTimeout = Duration.ofSeconds(60);

        public Builder catalog(ExportCatalog catalog) {
            this.catalog = Objects.requireNonNull(catalog, "catalog");
            return this;
        }

        /** Listen on TCP; port 0 picks a free port. Default 127.0.0.1:10809. */
        public Builder listen(String host, int port) {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be empty");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.address = new InetSocketAddress(host, port);
            this.channel = null;
            return this;
        }

        /** Listen on a Unix domain socket at this path; the file is created, and removed when the server closes. */
        public Builder unixSocket(Path path) {
            Objects.requireNonNull(path, "path");
            if (Files.exists(path)) {
                throw new IllegalArgumentException(path + " exists: remove it first if no server uses it");
            }
            this.address = UnixDomainSocketAddress.of(path);
            this.channel = null;
            return this;
        }

        /**
         * Serve on a socket that is already bound and listening, TCP or Unix, e.g. the one
         * {@link System#inheritedChannel()} returns under systemd socket activation.
         */
        public Builder channel(ServerSocketChannel listening) {
            Objects.requireNonNull(listening, "listening");
            if (!listening.isOpen()) {
                throw new IllegalArgumentException("the listening channel is closed");
            }
            this.channel = listening;
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
            if (bytes <= 0) {
                throw new IllegalArgumentException("maxInFlightBytes must be positive, got " + bytes);
            }
            this.maxInFlightBytes = bytes;
            return this;
        }

        /** A client must finish option negotiation within this time. Default 30 s. */
        public Builder handshakeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("handshakeTimeout must be positive, got " + timeout);
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        public NbdServer start() {
            if (catalog == null) {
                throw new IllegalStateException("no catalog: call catalog(...) first");
            }
            if (maxInFlightBytes < maxRequestBytes) {
                throw new IllegalArgumentException("maxInFlightBytes must be at least maxRequestBytes");
            }
            ServerSocketChannel listening = channel;
            try {
                Path ownSocketFile = null;
                if (listening == null) {
                    listening = bind();
                    ownSocketFile = address instanceof UnixDomainSocketAddress unix ? unix.getPath() : null;
                }
                return new NbdServer(this, listening, ownSocketFile);
            } catch (IOException | UnresolvedAddressException e) {
                closeQuietly(listening);
                String why = e instanceof UnresolvedAddressException ? "unknown host" : e.getMessage();
                throw new UncheckedIOException(new IOException("cannot listen on " + address + ": " + why, e));
            }
        }

        private ServerSocketChannel bind() throws IOException {
            boolean unix = address instanceof UnixDomainSocketAddress;
            ServerSocketChannel listening = unix ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
            try {
                if (!unix) {
                    listening.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                }
                listening.bind(address, 128);
                return listening;
            } catch (IOException | RuntimeException e) {
                listening.close();
                throw e;
            }
        }

        private static void closeQuietly(ServerSocketChannel c) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException ignored) {
                // already failing
            }
        }
    }
}
