package io.bootcache.node.admin;

import io.bootcache.node.NodeConfig;
import io.bootcache.node.NodeServices;
import io.bootcache.node.grpc.GrpcApi;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.Image;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The HTTP admin endpoint: /health, /metrics (Prometheus text), /images and /disks (JSON). */
public final class AdminServer {
  private final HttpServer server;

  private AdminServer(HttpServer server) {
    this.server = server;
  }

  public static AdminServer start(Vertx vertx, NodeConfig config, NodeServices node, GrpcApi api) throws Exception {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> reply(ctx, node, "application/json", () -> new JsonObject()
        .put("status", node.ignite().cluster().active() ? "UP" : "DOWN")
        .put("node", config.nodeName())
        .put("grpc", config.bindHost() + ":" + config.grpcPort())
        .put("clusterNodes", node.ignite().cluster().forServers().nodes().size())
        .encodePrettily()));
    router.get("/metrics").handler(ctx -> reply(ctx, node, "text/plain; version=0.0.4",
        () -> PrometheusText.of(node.metrics().registry(), api.stats())));
    router.get("/images").handler(ctx -> reply(ctx, node, "application/json", () -> {
      JsonArray out = new JsonArray();
      for (Image i : node.catalog().images()) {
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
      node.catalog().disks().forEach(d -> out.add(new JsonObject().put("id", d.getId()).put("image", d.getImageId())
          .put("mode", d.getMode().name()).put("location", d.getLocation()).put("generation", d.getGeneration())
          .put("state", d.getState().name()).put("staleReason", d.getStaleReason())));
      return out.encodePrettily();
    }));
    HttpServer server = vertx.createHttpServer().requestHandler(router);
    server.listen(config.adminPort(), config.bindHost()).await(30, TimeUnit.SECONDS);
    return new AdminServer(server);
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
