package io.bootcache.node;

import com.codahale.metrics.MetricRegistry;
import io.bootcache.nbd.NbdServer;
import io.bootcache.node.access.Access;
import io.bootcache.node.access.Principal;
import io.bootcache.node.admin.AdminServer;
import io.bootcache.node.backend.Backend;
import io.bootcache.node.backend.RateLimiter;
import io.bootcache.node.catalog.BlockManifests;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.catalog.FileRoots;
import io.bootcache.node.catalog.LayerLossWatch;
import io.bootcache.node.catalog.MetadataFiles;
import io.bootcache.node.catalog.MetadataMirror;
import io.bootcache.node.cluster.Activation;
import io.bootcache.node.cluster.IgniteStarter;
import io.bootcache.node.cluster.Regions;
import io.bootcache.node.grpc.ConnectionCap;
import io.bootcache.node.grpc.GrpcApi;
import io.bootcache.node.nbd.GrantedExports;
import io.bootcache.node.nbd.NodeExports;
import io.bootcache.node.read.BlockMaps;
import io.bootcache.node.read.BlockReader;
import io.bootcache.node.read.BlockStore;
import io.bootcache.node.read.ClusterBlocks;
import io.bootcache.node.read.DiskTier;
import io.bootcache.node.read.HostTier;
import io.bootcache.node.read.Loader;
import io.bootcache.node.record.Prefetcher;
import io.bootcache.node.record.ProfileStore;
import io.bootcache.node.record.Sessions;
import io.bootcache.node.record.WriteApplier;
import io.bootcache.v1.BootCacheGrpcService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ignite.Ignite;

/**
 * A running node: the embedded Ignite server, the gRPC service and the HTTP admin endpoint.
 * {@link #start(NodeConfig)} returns once it serves; {@link #close()} stops it.
 */
public final class BootCacheNode implements AutoCloseable {
  /** HTTP/2 flow-control windows: the 64 KiB defaults stall a stream of 128 KiB answers. */
  public static final int HTTP2_CONNECTION_WINDOW = 32 * 1024 * 1024;
  public static final int HTTP2_STREAM_WINDOW = 8 * 1024 * 1024;
  private final NodeConfig config;
  private final Vertx vertx;
  private final Ignite ignite;
  private final NodeServices services;
  private final NodeThreads threads;
  private final HttpServer grpcServer;
  private final AdminServer admin;
  private final NbdServer nbd; // null when the node serves no NBD
  private final NodeExports exports;
  private final MetadataMirror mirror;
  private final LayerLossWatch lossWatch;

  private BootCacheNode(NodeConfig config, Vertx vertx, Ignite ignite, NodeServices services, NodeThreads threads,
      HttpServer grpcServer, AdminServer admin, NodeExports exports, NbdServer nbd, MetadataMirror mirror,
      LayerLossWatch lossWatch) {
    this.config = config;
    this.vertx = vertx;
    this.ignite = ignite;
    this.services = services;
    this.threads = threads;
    this.grpcServer = grpcServer;
    this.admin = admin;
    this.exports = exports;
    this.nbd = nbd;
    this.mirror = mirror;
    this.lossWatch = lossWatch;
  }

  public static BootCacheNode start(NodeConfig config) {
    try {
      Files.createDirectories(config.dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the data directory " + config.dataDir(), e);
    }
    // the node's own metrics only: Vert.x's would come without help and with summaries, not histograms
    Vertx vertx = Vertx.vertx(new VertxOptions());
    AtomicBoolean serving = new AtomicBoolean();
    Ignite ignite = null;
    NodeThreads threads = null;
    NodeExports exports = null;
    NbdServer nbd = null;
    MetadataMirror mirror = null;
    LayerLossWatch lossWatch = null;
    try {
      ignite = IgniteStarter.start(config);
      boolean fresh = Activation.await(ignite, config);
      threads = NodeThreads.start(config.nodeName());
      NodeServices services = wire(config, ignite, new NodeMetrics(new MetricRegistry()), threads);
      services.register();
      if (fresh) {
        // the metadata files are the record of a cluster that kept nothing; a durable one keeps its own
        services.catalog().restore();
        services.profiles().restore();
      }
      services.catalog().restoreManifests();
      mirror = MetadataMirror.start(ignite, services.files(), config.nodeName());
      lossWatch = LayerLossWatch.start(ignite, services.catalog(), config);

      Access access = new Access(config.grants());
      GrpcApi api = new GrpcApi(vertx, services, access);
      GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions()
          // a fetch answer carries up to maxRequestBytes plus two blocks and the hashes; writes carry data
          .setMaxMessageSize(config.maxMessageBytes()));
      grpc.addService(api);
      Ignite started = ignite;
      grpc.addService(HealthService.create(vertx)
          .register(BootCacheGrpcService.SERVICE_NAME, () -> Future.succeededFuture(started.cluster().active())));
      grpc.addService(ReflectionService.v1());
      // with TLS every gRPC client shows a certificate of the CA: its CN is the principal the API checks
      HttpServer http = vertx.createHttpServer(HttpTls.secure(new HttpServerOptions(), config.tls(), ClientAuth.REQUIRED)
              .setHost(config.bindHost()).setPort(config.grpcPort())
              // many reads in flight per connection: windows big enough that flow control never throttles them
              .setHttp2ConnectionWindowSize(HTTP2_CONNECTION_WINDOW)
              .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(1024)
                  .setInitialWindowSize(HTTP2_STREAM_WINDOW)))
          .connectionHandler(new ConnectionCap(config.limits().grpcMaxConnections()))
          .requestHandler(grpc);
      http.listen().await(30, TimeUnit.SECONDS);
      AdminServer admin = AdminServer.start(vertx, config, services, api, access, serving::get);
      if (config.nbdPort() >= 0 || config.nbdSocket() != null) {
        exports = new NodeExports(services, config.nbdIdleTimeout());
        nbd = startNbd(config, exports, access);
      }
      serving.set(true);
      return new BootCacheNode(config, vertx, ignite, services, threads, http, admin, exports, nbd, mirror, lossWatch);
    } catch (Exception e) {
      if (nbd != null) nbd.close();
      if (exports != null) exports.close();
      if (mirror != null) mirror.close();
      if (lossWatch != null) lossWatch.close();
      if (ignite != null) ignite.close();
      if (threads != null) threads.close();
      vertx.close();
      if (e instanceof RuntimeException re) throw re;
      throw new IllegalStateException("node " + config.nodeName() + " failed to start: " + e, e);
    }
  }

  private static NodeServices wire(NodeConfig config, Ignite ignite, NodeMetrics metrics, NodeThreads threads) {
    MetadataFiles files = new MetadataFiles(config.dataDir());
    BlockMaps maps = new BlockMaps(ignite, config.stripeBlocks());
    BlockStore store = new BlockStore(ignite);
    HostTier host = new HostTier(config.hostTierBytes(), metrics.images);
    metrics.hostTier(host);
    DiskTier disk = config.diskCacheDir() == null ? null
        : DiskTier.open(config.diskCacheDir().resolve("blocks"), config.diskCacheBytes());
    if (disk != null) metrics.diskTier(disk);
    ClusterBlocks cluster = new ClusterBlocks(maps, store, metrics);
    Backend backend = new Backend(new RateLimiter(config.backendIops(), config.backendBytesPerSecond()),
        config.backendLatency(), metrics);
    Catalog catalog = new Catalog(ignite, files, maps, new FileRoots(config.imageRoots(), config.diskRoots()),
        new BlockManifests(ignite, files, backend, config.manifestRegionBytes()), config.limits().maxImages(),
        config.limits().maxDisks());
    Loader loader = new Loader(catalog, cluster, backend, metrics, threads.backend(), threads.admissions());
    BlockReader reader = new BlockReader(ignite, host, disk, cluster, maps, store, loader, backend, metrics, threads.reads());
    Sessions sessions = new Sessions(ignite, config.bootWindow(), metrics, config.limits().maxSessions());
    ProfileStore profiles = new ProfileStore(ignite, files);
    WriteApplier writes = new WriteApplier(ignite, catalog, maps, store, reader, metrics,
        Regions.durable(config) ? 0 : config.metaRegionBytes());
    Prefetcher prefetcher = new Prefetcher(reader, profiles, threads.workers());
    return new NodeServices(config, ignite, metrics, files, catalog, maps, store, host, disk, cluster, backend, loader, reader,
        sessions, profiles, prefetcher, writes, threads.workers());
  }

  /**
   * This node's own NBD server: the cluster's exports, through the node's read path, on TCP and/or a
   * Unix socket; each client sees what its principal is granted (the local one: everything).
   */
  private static NbdServer startNbd(NodeConfig config, NodeExports exports, Access access) {
    Limits limits = config.limits();
    NbdServer.Builder b = NbdServer.builder()
        .catalogPerClient(session -> new GrantedExports(exports, access, Principal.of(session)))
        .maxInFlightBytes(limits.nbdQueueBytes()).maxInFlightRequests(limits.nbdMaxRequests())
        .maxConnections(limits.nbdMaxConnections()).handshakeTimeout(limits.nbdHandshakeTimeout());
    if (config.tls() != null) b.tls(config.tls().context());
    if (config.nbdPort() >= 0) b.listen(config.nbdHost(), config.nbdPort());
    if (config.nbdSocket() != null) b.unixSocket(config.nbdSocket());
    return b.start();
  }

  public NodeConfig config() { return config; }
  public String nodeName() { return config.nodeName(); }
  public int grpcPort() { return grpcServer.actualPort(); }
  public int adminPort() { return admin.port(); }
  /** "host:port" of the gRPC service. */
  public String grpcAddress() { return config.bindHost() + ":" + grpcPort(); }
  /** "host:port" of Ignite discovery, for other nodes' seeds. */
  public String discoveryAddress() {
    return config.bindHost() + ":" + ((org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi)
        ignite.configuration().getDiscoverySpi()).getLocalPort();
  }
  public Ignite ignite() { return ignite; }
  /** The NBD server's TCP port, or -1 when it serves none. */
  public int nbdPort() { return nbd == null ? -1 : nbd.port(); }
  /** Where the node serves NBD: "nbd://host:port" ("nbds://" with TLS) and/or "nbd+unix:///?socket=PATH"; empty when it does not. */
  public List<String> nbdUris() {
    List<String> out = new ArrayList<>();
    if (nbd == null) return out;
    if (nbd.port() >= 0) out.add((config.tls() == null ? "nbd://" : "nbds://") + config.nbdHost() + ":" + nbd.port());
    if (nbd.socketPath() != null) out.add("nbd+unix:///?socket=" + nbd.socketPath());
    return out;
  }
  public NodeServices services() { return services; }

  @Override
  public void close() {
    if (nbd != null) nbd.close();
    if (exports != null) exports.close();
    try {
      grpcServer.close().await(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing anyway
    }
    admin.close();
    mirror.close();
    lossWatch.close();
    threads.close();
    ignite.close();
    services.backend().close();
    if (services.disk() != null) services.disk().close();
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
