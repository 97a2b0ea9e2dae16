package io.bootcache.client;

import com.google.protobuf.ByteString;
import io.bootcache.v1.BootCacheGrpcService;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.Random;

/**
 * The client's own cost per read: a bare FetchStream server answers every request at once with a
 * precomputed 4 KiB block, so the figure is what the client path (streams, matching, SHA-256 check,
 * futures) can carry on this machine. Run with {@code mvn -o -pl client test -Dtest=ClientPathBenchmark}.
 */
class ClientPathBenchmark {
  @Test
  void fourKiBReadsAgainstAnInstantServer() throws Exception {
    int seconds = Integer.getInteger("bench.seconds", 8);
    int concurrency = Integer.getInteger("bench.concurrency", 64);
    byte[] block = new byte[4096];
    new Random(1).nextBytes(block);
    ByteString data = ByteString.copyFrom(block);
    ByteString hash = ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(block));
    Vertx serverVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    GrpcServer grpc = GrpcServer.server(serverVertx);
    java.util.Set<Long> serverThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    grpc.callHandler(BootCacheGrpcService.FetchStream, req -> {
      serverThreads.add(Thread.currentThread().getId());
      var resp = req.response();
      req.handler((FetchRequest r) -> resp.write(FetchResponse.newBuilder().setId(r.getId()).setOffset(r.getOffset())
          .setBlockSize(4096).setData(data).setHashes(hash).setHits(1).build()));
      req.endHandler(v -> resp.end());
    });
    HttpServer http = serverVertx.createHttpServer(new HttpServerOptions().setPort(0).setHost("127.0.0.1")).requestHandler(grpc);
    http.listen().await();
    try (BootCacheClient client = BootCacheClient.builder().nodes("127.0.0.1:" + http.actualPort()).build()) {
      for (int round = 0; round < 4; round++) { // rounds 0 and 1 warm the JIT
        boolean chained = round % 2 == 1;
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.Map<Long, Long> cpuBefore = new java.util.HashMap<>();
        for (long id : mx.getAllThreadIds()) cpuBefore.put(id, mx.getThreadCpuTime(id));
        ReadLoad load = chained
            ? ReadLoad.chained(client, Target.image("x"), concurrency, seconds, () -> 0)
            : ReadLoad.fromOneThread(client, Target.image("x"), concurrency, seconds, () -> 0);
        long serverCpu = 0, clientCpu = 0;
        for (long id : mx.getAllThreadIds()) {
          long used = mx.getThreadCpuTime(id) - cpuBefore.getOrDefault(id, 0L);
          if (serverThreads.contains(id)) serverCpu += used; else clientCpu += used;
        }
        System.out.printf("client path round %d (%s): %.0f reads/s of 4 KiB at concurrency %d, %d failed; cpu per read: client %.1f us, server %.1f us%n",
            round, chained ? "chained on completions" : "from one thread", load.perSecond(), concurrency, load.failed.get(),
            clientCpu / 1e3 / load.done.get(), serverCpu / 1e3 / load.done.get());
      }
    } finally {
      serverVertx.close().await();
    }
  }
}
