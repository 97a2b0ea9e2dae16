package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import io.vertx.grpc.reflection.v1.ServerReflectionRequest;
import io.vertx.grpc.reflection.v1.ServerReflectionResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What any gRPC or HTTP tool sees: the standard health and reflection services, and the admin endpoint. */
class GrpcServicesTest {
  @TempDir Path dir;

  @Test
  void healthReflectionAndAdminEndpointsAnswer() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir).start(); GrpcTestClient t = new GrpcTestClient()) {
      BootCacheNode n = cluster.node(0);
      SocketAddress address = SocketAddress.inetSocketAddress(n.grpcPort(), "127.0.0.1");

      ServiceMethod<HealthCheckResponse, HealthCheckRequest> check = ServiceMethod.client(
          ServiceName.create("grpc.health.v1", "Health"), "Check",
          GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(HealthCheckResponse.newBuilder()));
      HealthCheckResponse health = await(t.grpc.request(address, check)
          .compose(req -> req.send(HealthCheckRequest.newBuilder().setService("bootcache.v1.BootCache").build()))
          .compose(resp -> resp.last()));
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());

      ServiceMethod<ServerReflectionResponse, ServerReflectionRequest> reflect = ServiceMethod.client(
          ServiceName.create("grpc.reflection.v1", "ServerReflection"), "ServerReflectionInfo",
          GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(ServerReflectionResponse.newBuilder()));
      ServerReflectionResponse services = await(t.grpc.request(address, reflect)
          .compose(req -> req.send(ServerReflectionRequest.newBuilder().setListServices("").build()))
          .compose(resp -> resp.last()));
      List<String> names = services.getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList();
      assertTrue(names.contains("bootcache.v1.BootCache"), names.toString());

      Path file = TestFiles.random(dir, "img.raw", 1 << 20, 3);
      BootCacheGrpcClient node = t.to(n.grpcAddress());
      await(node.registerImage(RegisterImageRequest.newBuilder().setId("img").setLocation(file.toString()).build()));
      String s = await(node.startBoot(StartBootRequest.newBuilder().setImageId("img").build())).getId();
      FetchRequest read = FetchRequest.newBuilder().setImageId("img").setOffset(0).setLength(8192).build();
      await(node.fetch(read.toBuilder().setSessionId(s).build()));
      await(node.fetch(read));

      // a malformed message fails its call (Vert.x gRPC cancels it), and the node goes on serving
      for (String method : List.of("Fetch", "RegisterImage")) {
        io.vertx.core.Future<?> garbage = t.grpc.request(address).compose(req -> {
          req.fullMethodName("bootcache.v1.BootCache/" + method);
          return req.send(io.vertx.core.buffer.Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 1, 2, 3}));
        }).compose(resp -> resp.last());
        try {
          garbage.await(30, java.util.concurrent.TimeUnit.SECONDS);
          throw new AssertionError(method + " accepted a malformed message");
        } catch (io.vertx.grpc.common.GrpcErrorException | io.vertx.grpc.client.InvalidStatusException expected) {
          // refused
        }
      }
      assertEquals(8192, await(node.fetch(read)).getData().size());

      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + n.adminPort();
      JsonObject h = new JsonObject(get(http, base + "/health"));
      assertEquals("UP", h.getString("status"));
      JsonArray images = new JsonArray(get(http, base + "/images"));
      assertEquals("img", images.getJsonObject(0).getString("id"));
      assertEquals(1 << 20, images.getJsonObject(0).getLong("size"));
      String metrics = get(http, base + "/metrics");
      assertTrue(metrics.contains("bootcache_block_hits_total 4"), metrics);
      assertTrue(metrics.contains("bootcache_block_misses_total 2"), metrics);
      assertTrue(metrics.contains("bootcache_backend_reads_total 1"), metrics);
      assertTrue(metrics.contains("bootcache_cached_bytes 8192"), metrics);
      assertTrue(metrics.contains("bootcache_fetch_latency_seconds_count 3"), metrics);
      assertTrue(metrics.contains("bootcache_image_working_set_bytes{image=\"img\"} 0"), metrics);
      HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(base + "/nope")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode());
    }
  }

  static String get(HttpClient http, String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), url);
    return r.body();
  }
}
