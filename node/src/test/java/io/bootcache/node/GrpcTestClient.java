package io.bootcache.node;

import io.bootcache.tls.TlsFiles;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.GetStatsRequest;
import io.bootcache.v1.Stats;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A plain gRPC client of the generated stubs over a real socket: what any gRPC tool would do. */
final class GrpcTestClient implements AutoCloseable {
  final Vertx vertx = Vertx.vertx();
  final GrpcClient grpc;

  GrpcTestClient() {
    grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(64L << 20));
  }

  /** Over TLS, showing this certificate; the node's must name 127.0.0.1. */
  GrpcTestClient(TlsFiles tls) {
    HttpClientOptions http = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setSsl(true).setUseAlpn(true)
        .setKeyCertOptions(KeyCertOptions.wrap(tls.keyManagers())).setTrustOptions(TrustOptions.wrap(tls.trustManagers()));
    grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(64L << 20), http);
  }

  BootCacheGrpcClient to(String hostPort) {
    String[] hp = hostPort.split(":");
    return BootCacheGrpcClient.create(grpc, SocketAddress.inetSocketAddress(Integer.parseInt(hp[1]), hp[0]));
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(60, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** The status a call failed with; fails the test if it succeeded. */
  static GrpcStatus statusOf(Future<?> f) {
    try {
      f.await(60, TimeUnit.SECONDS);
    } catch (InvalidStatusException e) {
      return e.actualStatus();
    } catch (Exception e) {
      throw new AssertionError("expected a gRPC status, got " + e, e);
    }
    throw new AssertionError("expected the call to fail, it succeeded");
  }

  /** A refused unary call: its status and the node's message. */
  record Refusal(GrpcStatus status, String message) {}

  /** Calls a unary method and returns how it was refused; fails the test if it succeeded. */
  <Req, Resp> Refusal refusal(String hostPort, ServiceMethod<Resp, Req> method, Req request) {
    String[] hp = hostPort.split(":");
    GrpcClientRequest<Req, Resp> call = await(grpc.request(SocketAddress.inetSocketAddress(Integer.parseInt(hp[1]), hp[0]), method));
    call.end(request);
    GrpcClientResponse<Req, Resp> response = await(call.response());
    try {
      response.last().await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      if (response.status() != null && response.status() != GrpcStatus.OK) return new Refusal(response.status(), response.statusMessage());
      throw new AssertionError("expected a gRPC status, got " + e, e);
    }
    throw new AssertionError("expected " + method.methodName() + " to be refused, it succeeded");
  }

  /**
   * The node's stats once admission has settled: loaded blocks go into the cluster after the reads
   * that loaded them are answered, so counts of cached blocks wait until two looks agree.
   */
  static Stats settledStats(BootCacheGrpcClient node) throws InterruptedException {
    Stats s = await(node.getStats(GetStatsRequest.getDefaultInstance()));
    for (int i = 0; i < 100; i++) {
      Thread.sleep(100);
      Stats again = await(node.getStats(GetStatsRequest.getDefaultInstance()));
      if (again.getCachedBlocks() == s.getCachedBlocks() && again.getAdmittedBlocks() == s.getAdmittedBlocks()) return again;
      s = again;
    }
    throw new AssertionError("admission never settled: " + s);
  }

  /** Sends the requests over one FetchStream, ends it, and returns the answers by id once the node ends it. */
  static Map<Long, FetchResponse> fetchAll(BootCacheGrpcClient node, List<FetchRequest> asked) throws Exception {
    Map<Long, FetchResponse> answers = new ConcurrentHashMap<>();
    Promise<WriteStream<FetchRequest>> requests = Promise.promise();
    CompletableFuture<Void> done = new CompletableFuture<>();
    // handlers are set on the event loop as the response starts, so no answer is missed
    node.fetchStream(requests).onSuccess(responses -> responses.handler(r -> answers.put(r.getId(), r))
        .endHandler(v -> done.complete(null)).exceptionHandler(done::completeExceptionally))
        .onFailure(done::completeExceptionally);
    WriteStream<FetchRequest> out = await(requests.future());
    asked.forEach(out::write);
    out.end();
    done.get(60, TimeUnit.SECONDS);
    return answers;
  }

  static FetchRequest image(String id, long offset, long length) {
    return FetchRequest.newBuilder().setImageId(id).setOffset(offset).setLength(length).build();
  }

  /** The requested range out of a response, after checking every block against its hash. */
  static byte[] verifiedRange(FetchResponse r, long offset, int length) {
    byte[] data = r.getData().toByteArray();
    int bs = r.getBlockSize();
    int blocks = (data.length + bs - 1) / bs;
    if (r.getHashes().size() != blocks * 32) throw new AssertionError(blocks + " blocks but " + r.getHashes().size() + " hash bytes");
    for (int i = 0; i < blocks; i++) {
      byte[] block = java.util.Arrays.copyOfRange(data, i * bs, Math.min(data.length, (i + 1) * bs));
      byte[] want = r.getHashes().substring(i * 32, (i + 1) * 32).toByteArray();
      if (!java.util.Arrays.equals(sha256(block), want)) throw new AssertionError("block " + i + " does not match its hash");
    }
    int from = (int) (offset - r.getOffset());
    return java.util.Arrays.copyOfRange(data, from, from + length);
  }

  static byte[] sha256(byte[] b) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    grpc.close();
    vertx.close();
  }
}
