package io.bootcache.client;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcErrorException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Everything the client holds for one node: its address, a few FetchStreams (each on its own
 * connection and event loop), unary calls, and whether it is down. A node is down from the moment it
 * fails a connect, lets a read outlive its deadline or breaks a stream, until a {@link NodeProbe}
 * finds it serving again: meanwhile requests skip it at once (to the next node, or the backend)
 * instead of each waiting out the deadline on a node a partition made silent.
 */
final class NodeChannel {
  private static final Logger LOG = Logger.getLogger(NodeChannel.class.getName());

  private final String address;
  private final SocketAddress socketAddress;
  private final GrpcClient unaryGrpc;
  private final FetchStream[] streams;
  private final AtomicInteger nextStream = new AtomicInteger();
  private final NodeProbe probe;
  private boolean closed; // guarded by this
  private volatile boolean down;
  private volatile String downReason = "";

  NodeChannel(String address, Vertx vertx, GrpcClient unaryGrpc, List<GrpcClient> streamGrpcs, GrpcClient probeGrpc,
      Duration deadline) {
    this.address = address;
    this.socketAddress = parse(address);
    this.unaryGrpc = unaryGrpc;
    this.probe = new NodeProbe(this, vertx, probeGrpc, deadline, this::markUp);
    this.streams = new FetchStream[streamGrpcs.size()];
    for (int i = 0; i < streams.length; i++) {
      streams[i] = new FetchStream(this, streamGrpcs.get(i), FetchStream.newEventLoopContext(vertx), deadline.toNanos());
    }
  }

  String address() { return address; }
  SocketAddress socketAddress() { return socketAddress; }

  /**
   * A stream for the next request: the one on the caller's own event loop if the caller runs on one
   * (it is then written at once, without a thread hop), else round robin.
   */
  FetchStream stream() {
    io.vertx.core.Context current = Vertx.currentContext();
    if (current != null) {
      for (FetchStream s : streams) if (s.context() == current) return s;
    }
    return streams[Math.floorMod(nextStream.getAndIncrement(), streams.length)];
  }

  boolean isDown() { return down; }
  String downReason() { return downReason; }

  /**
   * The node did not answer: requests skip it until a probe finds it serving, and the reads in flight
   * on its streams are failed now (their senders retry them elsewhere) rather than at their deadlines.
   */
  void markDown(String reason) {
    synchronized (this) {
      if (down || closed) return;
      downReason = reason;
      down = true;
      probe.start();
    }
    LOG.warning(reason + "; reads skip it until it answers again");
    for (FetchStream s : streams) s.abandon(reason);
  }

  private void markUp(String why) {
    synchronized (this) {
      if (!down) return;
      down = false;
    }
    LOG.info(why);
  }

  /**
   * One unary call; fails with a {@link BootCacheException} carrying the node's status and message, at
   * once while the node is down unless {@code evenIfDown}.
   */
  <Req, Resp> Future<Resp> call(ServiceMethod<Resp, Req> method, Req request, Duration timeout, boolean evenIfDown) {
    if (isDown() && !evenIfDown) return Future.failedFuture(new BootCacheException(GrpcStatus.UNAVAILABLE, downReason));
    long ms = Math.max(1, timeout.toMillis());
    Future<Resp> f = unaryGrpc.request(socketAddress, method)
        .recover(err -> {
          markDown("cannot reach node " + address + ": " + FetchStream.describe(err));
          return Future.failedFuture(new BootCacheException(GrpcStatus.UNAVAILABLE, downReason, err));
        })
        .compose(req -> {
          req.timeout(ms, TimeUnit.MILLISECONDS);
          req.end(request);
          return req.response().compose(resp -> resp.last().recover(err -> Future.failedFuture(statusOf(resp, err))));
        });
    return f.timeout(ms + 200, TimeUnit.MILLISECONDS).recover(err -> Future.failedFuture(toBootCacheException(err, method, ms)));
  }

  private BootCacheException statusOf(GrpcClientResponse<?, ?> resp, Throwable err) {
    if (resp.status() != null && resp.status() != GrpcStatus.OK) {
      return new BootCacheException(resp.status(), resp.statusMessage());
    }
    return toBootCacheException(err, null, 0);
  }

  private BootCacheException toBootCacheException(Throwable err, ServiceMethod<?, ?> method, long ms) {
    if (err instanceof BootCacheException b) return b;
    if (err instanceof InvalidStatusException e) return new BootCacheException(e.actualStatus(), e.getMessage(), e);
    if (err instanceof GrpcErrorException e) {
      GrpcStatus s = e.status() == GrpcStatus.CANCELLED ? GrpcStatus.DEADLINE_EXCEEDED : e.status();
      return new BootCacheException(s, "node " + address + ": " + FetchStream.describe(e), e);
    }
    if (err instanceof TimeoutException || err instanceof io.vertx.core.http.StreamResetException) {
      String what = method == null ? "call" : method.methodName();
      return new BootCacheException(GrpcStatus.DEADLINE_EXCEEDED,
          "node " + address + " did not answer " + what + (ms > 0 ? " within " + ms + " ms" : ""), err);
    }
    return new BootCacheException(GrpcStatus.UNAVAILABLE, "node " + address + ": " + FetchStream.describe(err), err);
  }

  void close() {
    synchronized (this) {
      closed = true;
      probe.stop();
    }
    for (FetchStream s : streams) s.close();
  }

  /** "host:port"; a bare host means the default port 7400. */
  static SocketAddress parse(String address) {
    String a = address.trim();
    int colon = a.lastIndexOf(':');
    if (colon < 0) return SocketAddress.inetSocketAddress(BootCacheClient.DEFAULT_PORT, a);
    String host = a.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    int port;
    try {
      port = Integer.parseInt(a.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("node address must be host:port, got '" + address + "'");
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new IllegalArgumentException("node address must be host:port, got '" + address + "'");
    }
    return SocketAddress.inetSocketAddress(port, host);
  }
}
