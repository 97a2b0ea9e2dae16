package io.bootcache.cli;

import io.bootcache.backends.SourceVersion;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.nbd.ClusterCatalog;
import io.bootcache.client.nbd.ExportListCache;
import io.bootcache.nbd.NbdExport;
import io.bootcache.nbd.NbdServer;
import io.bootcache.tls.TlsFiles;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Serves every registered image and disk as an NBD export named by its id, until stopped. */
@Command(name = "nbd", mixinStandardHelpOptions = true,
    description = {
        "Serves every registered image and disk over NBD, named by its id: images and linked-clone disks "
            + "read-only, full-clone disks read-write (into their own file). Each connection is one boot session.",
        "Example: qemu-img create -f qcow2 -F raw -b nbd://127.0.0.1:10809/IMAGE vm1.qcow2"})
public final class NbdCommand implements Callable<Integer> {
  static final String DEFAULT_LISTEN = "127.0.0.1:10809";

  @Spec
  CommandSpec spec;

  @Option(names = "--listen", paramLabel = "HOST:PORT",
      description = "TCP address to listen on (default: " + DEFAULT_LISTEN + "; port 0 picks a free one).")
  String listen;

  @Option(names = "--socket", paramLabel = "PATH",
      description = "Listen on a Unix domain socket at PATH instead (nbd+unix:///EXPORT?socket=PATH); removed on exit.")
  Path socket;

  @Option(names = "--listen-inherited",
      description = "Serve on the listening socket given as standard input (systemd socket activation, StandardInput=socket).")
  boolean listenInherited;

  @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "A boot session ends after this long without requests (default: ${DEFAULT-VALUE}).")
  double idleSeconds;

  @Option(names = "--read-deadline", paramLabel = "MILLIS", defaultValue = "2000",
      description = "How long a read waits for the cluster before it is read from the backing file (default: ${DEFAULT-VALUE}).")
  long readDeadlineMs;

  @Option(names = "--refresh", paramLabel = "SECONDS", defaultValue = "5",
      description = "How often the export list is refreshed from the cluster at most (default: ${DEFAULT-VALUE}).")
  double refreshSeconds;

  @Option(names = "--max-request", paramLabel = "BYTES", defaultValue = "33554432",
      description = "Largest read or write accepted, advertised as the maximum block size (default: ${DEFAULT-VALUE}).")
  int maxRequestBytes;

  @Option(names = "--max-cluster-reads", paramLabel = "BYTES", defaultValue = "16777216",
      description = "Bytes of reads in flight to the cluster at most; more wait in this server, where waiting does not "
          + "count against the read deadline (default: ${DEFAULT-VALUE}).")
  long maxClusterReadBytes;

  @Option(names = "--queue", paramLabel = "SIZE", converter = Sizes.Converter.class,
      defaultValue = "${env:BOOTCACHE_NBD_QUEUE:-64m}",
      description = "Bytes of requests and their answers held per connection at most; past them the server stops reading "
          + "that client until it reads its answers (default: ${DEFAULT-VALUE}; $BOOTCACHE_NBD_QUEUE).")
  long queueBytes;

  @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "${env:BOOTCACHE_NBD_MAX_REQUESTS:-512}",
      description = "Requests in flight per connection at most (default: ${DEFAULT-VALUE}; $BOOTCACHE_NBD_MAX_REQUESTS).")
  int maxInFlight;

  @Option(names = "--max-connections", paramLabel = "N", defaultValue = "${env:BOOTCACHE_NBD_MAX_CONNECTIONS:-256}",
      description = "Connections open at once; more are closed, with a log line "
          + "(default: ${DEFAULT-VALUE}; $BOOTCACHE_NBD_MAX_CONNECTIONS).")
  int maxConnections;

  @Option(names = "--handshake-timeout", paramLabel = "SECONDS", defaultValue = "${env:BOOTCACHE_NBD_HANDSHAKE_TIMEOUT:-10}",
      description = "A client must finish its whole NBD handshake within this time "
          + "(default: ${DEFAULT-VALUE}; $BOOTCACHE_NBD_HANDSHAKE_TIMEOUT).")
  double handshakeSeconds;

  @Option(names = "--export-cache", paramLabel = "FILE",
      description = "Keep the last export list the cluster gave in FILE, and serve it (reading the backing files) "
          + "when the server starts while the cluster is down.")
  Path exportCache;

  @Option(names = "--journal", paramLabel = "FILE", defaultValue = "bootcache-nbd.journal",
      description = "Where the disks are kept whose layer lacks a write this server acknowledged while the cluster could "
          + "not take it: forced to disk before the acknowledgement, told to the cluster at the next chance, read back "
          + "at start (default: ${DEFAULT-VALUE}).")
  Path journal;

  @Override
  public Integer call() throws Exception {
    Running running = start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close();
      stopped.countDown();
    }, "nbd-shutdown"));

    PrintWriter out = spec.commandLine().getOut();
    out.println("bootcache nbd: serving on " + running.server().uri("EXPORT"));
    for (NbdExport e : running.catalog().list()) {
      out.println("  " + e.name() + "  " + e.description());
    }
    out.flush();
    stopped.await();
    return Main.EXIT_OK;
  }

  /** A started server with what it uses; closing stops it, ends its boot sessions and closes the client. */
  public record Running(NbdServer server, ClusterCatalog catalog, BootCacheClient client) implements AutoCloseable {
    @Override
    public void close() {
      server.close();
      catalog.close();
      client.close();
    }
  }

  /** Starts serving (the options parsed); returns at once. */
  public Running start() {
    NbdServer.Builder serverBuilder = listenOn(NbdServer.builder());
    if (!(idleSeconds > 0) || readDeadlineMs <= 0 || !(refreshSeconds >= 0) || maxClusterReadBytes <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--idle-timeout, --read-deadline and --max-cluster-reads must be positive, --refresh not negative");
    }
    try {
      serverBuilder.maxInFlightBytes(queueBytes).maxInFlightRequests(maxInFlight).maxConnections(maxConnections)
          .handshakeTimeout(Duration.ofMillis((long) (handshakeSeconds * 1000)));
    } catch (IllegalArgumentException e) {
      throw usage("--queue, --max-in-flight, --max-connections, --handshake-timeout: " + e.getMessage());
    }
    // with TLS, the same certificate serves NBD (clients must STARTTLS and show one of the CA) and reads the cluster
    TlsFiles tls = ((Main) spec.root().userObject()).tlsFiles();
    if (tls != null) serverBuilder.tls(tls.context());
    BootCacheClient client = connect();
    ClusterCatalog catalog = null;
    try {
      catalog = ClusterCatalog.builder(client)
          .idleTimeout(Duration.ofMillis((long) (idleSeconds * 1000)))
          .refreshInterval(Duration.ofMillis((long) (refreshSeconds * 1000)))
          .exportCache(exportCache)
          .journal(journal)
          .maxClusterReadBytes(maxClusterReadBytes)
          .build();
      NbdServer server = serverBuilder.catalog(catalog).maxRequestBytes(maxRequestBytes).start();
      return new Running(server, catalog, client);
    } catch (RuntimeException e) {
      if (catalog != null) catalog.close();
      client.close();
      throw e;
    }
  }

  /** Sets where the server listens: --listen, --socket or --listen-inherited, at most one of them. */
  private NbdServer.Builder listenOn(NbdServer.Builder builder) {
    int given = (listen != null ? 1 : 0) + (socket != null ? 1 : 0) + (listenInherited ? 1 : 0);
    if (given > 1) throw usage("give one of --listen, --socket and --listen-inherited");
    try {
      if (socket != null) return builder.unixSocket(socket);
      if (listenInherited) return builder.inherited(inheritedListeningChannel());
      HostPort address = HostPort.parse(listen != null ? listen : DEFAULT_LISTEN, spec);
      return builder.listen(address.host(), address.port());
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private ServerSocketChannel inheritedListeningChannel() {
    Channel inherited;
    try {
      inherited = System.inheritedChannel();
    } catch (IOException e) {
      throw new UncheckedIOException("--listen-inherited: cannot take standard input as a socket", e);
    }
    if (inherited instanceof ServerSocketChannel listening) return listening;
    throw usage("--listen-inherited: standard input is not a listening socket (start it from a systemd .socket unit "
        + "with StandardInput=socket, or under systemd-socket-activate --inetd)");
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }

  /**
   * A client for the data path. If the cluster cannot be reached now and an export cache exists, the
   * client is told the backing files from it, so that its fallback can read them.
   */
  private BootCacheClient connect() {
    BootCacheClient.Builder builder = ((Main) spec.root().userObject()).clientBuilder()
        .deadline(Duration.ofMillis(readDeadlineMs));
    BootCacheClient client = builder.build();
    if (exportCache == null) return client;
    try {
      client.images();
      return client;
    } catch (RuntimeException unreachable) {
      Optional<ExportListCache.Snapshot> saved = new ExportListCache(exportCache).load();
      if (saved.isEmpty()) return client;
      client.close();
      for (Image i : saved.get().images()) {
        builder.knownImage(i).location(i.getId(), i.getLocation(), versionOf(i));
      }
      // a full clone reads its own file; a linked clone has none (its writes live in the cluster), so its reads fail
      for (Disk d : saved.get().disks()) {
        if (d.getMode() == CloneMode.FULL && !d.getLocation().isEmpty()) builder.location(d.getId(), d.getLocation());
      }
      return builder.build();
    }
  }

  private static SourceVersion versionOf(Image image) {
    return new SourceVersion(image.getSourceEtag(), image.getSourceLastModified());
  }

  /** HOST:PORT of --listen. */
  record HostPort(String host, int port) {
    static HostPort parse(String s, CommandSpec spec) {
      int colon = s.lastIndexOf(':');
      try {
        int port = Integer.parseInt(s.substring(colon + 1));
        if (colon <= 0 || port < 0 || port > 65535) throw new NumberFormatException();
        return new HostPort(s.substring(0, colon), port);
      } catch (NumberFormatException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--listen wants HOST:PORT, got '" + s + "'");
      }
    }
  }
}
