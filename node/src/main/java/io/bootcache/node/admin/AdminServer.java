package io.bootcache.node.admin;

import io.bootcache.node.HttpTls;
import io.bootcache.node.NodeConfig;
import io.bootcache.node.NodeServices;
import io.bootcache.node.access.Access;
import io.bootcache.node.access.Principal;
import io.bootcache.node.access.Role;
import io.bootcache.node.catalog.TargetKind;
import io.bootcache.node.grpc.GrpcApi;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.Image;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP admin endpoint: /health, /health/live, /health/ready, /metrics (Prometheus text), /images
 * and /disks (JSON). With TLS it speaks HTTPS and asks for a client certificate without requiring one:
 * the health paths answer anyone (probes of orchestrators show no certificate); the rest wants a
 * certificate whose principal holds a grant (a Prometheus scrape shows one), and /images and /disks
 * list what that principal may read.
 */
public final class AdminServer {
  /** Paths that answer without a client certificate: orchestrators' probes show none. */
  private static final Set<String> HEALTH_PATHS = Set.of("/health", "/health/live", "/health/ready");
  private final HttpServer server;

  private AdminServer(HttpServer server) {
    this.server = server;
  }

  /** {@code serving}: whether every edge of the node listens (gRPC, NBD); the node is ready once it does. */
  public static AdminServer start(Vertx vertx, NodeConfig config, NodeServices node, GrpcApi api, Access access,
      BooleanSupplier serving) throws Exception {
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      if (HEALTH_PATHS.contains(ctx.request().path()) || access.knows(callerOf(ctx))) {
        ctx.next();
      } else {
        ctx.response().setStatusCode(403).putHeader("content-type", "text/plain")
            .end("forbidden: show a client certificate whose principal holds a grant on this node\n");
      }
    });
    router.get("/health").handler(ctx -> reply(ctx, node, "application/json", () -> new JsonObject()
        .put("status", node.ignite().cluster().active() ? "UP" : "DOWN")
        .put("node", config.nodeName())
        .put("grpc", config.bindHost() + ":" + config.grpcPort())
        .put("clusterNodes", node.ignite().cluster().forServers().nodes().size())
        .encodePrettily()));
    // live: the event loop answers; a restart is the cure for anything else
    router.get("/health/live").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
        .end(new JsonObject().put("status", "LIVE").put("node", config.nodeName()).encode()));
    router.get("/health/ready").handler(ctx -> {
      Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> Readiness.of(node.ignite(), serving.getAsBoolean()),
              node.workers()), ctx.vertx().getOrCreateContext())
          .onComplete(r -> {
            Readiness ready = r.succeeded() ? r.result() : Readiness.no("the cluster did not answer: " + r.cause());
            ctx.response().setStatusCode(ready.ready() ? 200 : 503).putHeader("content-type", "application/json")
                .end(ready.json(config.nodeName()).encode());
          });
    });
    router.get("/metrics").handler(ctx -> reply(ctx, node, "text/plain; version=0.0.4; charset=utf-8",
        () -> PrometheusText.of(node.metrics(), node.ignite(), api.stats(), node.metrics().images.maxImages())));
    router.get("/images").handler(ctx -> reply(ctx, node, "application/json", () -> {
      JsonArray out = new JsonArray();
      Principal caller = callerOf(ctx);
      for (Image i : node.catalog().images()) {
        if (!access.allows(caller, Role.READER, TargetKind.IMAGE, i.getId())) continue;
        BootProfile p = node.profiles().get(i.getId(), i.getBlockSize());
        out.add(new JsonObject().put("id", i.getId()).put("location", i.getLocation()).put("size", i.getSize())
            .put("blockSize", i.getBlockSize()).put("boots", p.getBoots())
            .put("workingSetBlocks", p.getBlocksCount())
            .put("workingSetBytes", Math.min((long) p.getBlocksCount() * i.getBlockSize(), i.getSize())));
      }
      return out.encodePrettily();
    }));
    router.get("/disks").handler(ctx -> reply(ctx, node, "application/json", () -> {
      JsonArray out = new JsonArray();
      Principal caller = callerOf(ctx);
      node.catalog().disks().stream().filter(d -> access.allows(caller, Role.READER, TargetKind.DISK, d.getId()))
          .forEach(d -> out.add(new JsonObject().put("id", d.getId()).put("image", d.getImageId())
          .put("mode", d.getMode().name()).put("location", d.getLocation()).put("generation", d.getGeneration())
          .put("state", d.getState().name()).put("staleReason", d.getStaleReason())));
      return out.encodePrettily();
    }));
    HttpServer server = vertx.createHttpServer(HttpTls.secure(new HttpServerOptions(), config.tls(), ClientAuth.REQUEST))
        .requestHandler(router);
    server.listen(config.adminPort(), config.bindHost()).await(30, TimeUnit.SECONDS);
    return new AdminServer(server);
  }

  private static Principal callerOf(RoutingContext ctx) {
    return Principal.of(ctx.request().connection().sslSession());
  }

  /** Builds the body on a worker (it asks the cluster), then answers. */
  private static void reply(RoutingContext ctx, NodeServices node, String type, Supplier<String> body) {
    Future.fromCompletionStage(CompletableFuture.supplyAsync(body, node.workers()), ctx.vertx().getOrCreateContext())
        .onSuccess(b -> ctx.response().putHeader("content-type", type).end(b))
        .onFailure(t -> ctx.response().setStatusCode(503).putHeader("content-type", "text/plain")
            .end("unavailable: " + t.getMessage() + "\n"));
  }

  public int port() {
    return server.actualPort();
  }

  public void close() {
    try {
      server.close().await(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}
