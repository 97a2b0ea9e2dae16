package io.bootcache.client;

import io.bootcache.v1.BootCacheGrpcService;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Asks a node that stopped answering whether it serves again: a gRPC health check of the BootCache
 * service, first after {@link #FIRST_DELAY_MS}, then at doubling intervals up to {@link #MAX_DELAY_MS}
 * (with jitter, so that many clients do not probe in step), until the node answers SERVING. A probe
 * that gets no answer closes its connection, so that the next one dials afresh instead of queueing on
 * a connection the partition left half-open.
 */
final class NodeProbe {
  static final long FIRST_DELAY_MS = 250;
  static final long MAX_DELAY_MS = 4_000;

  static final ServiceMethod<HealthCheckResponse, HealthCheckRequest> HEALTH_CHECK = ServiceMethod.client(
      ServiceName.create("grpc.health.v1", "Health"), "Check",
      GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(HealthCheckResponse.newBuilder()));
  private static final HealthCheckRequest REQUEST = HealthCheckRequest.newBuilder()
      .setService(BootCacheGrpcService.SERVICE_NAME.fullyQualifiedName()).build();

  private final NodeChannel node;
  private final Vertx vertx;
  private final GrpcClient grpc;
  private final long timeoutMs;
  private final Consumer<String> answered;
  private long delayMs;
  private long timer = -1;
  private boolean stopped = true;

  /**
   * Made with its node, so that its classes load then rather than on an event loop at the first
   * deadline; {@code answered} hears, with a line for the log, when the node serves again.
   */
  NodeProbe(NodeChannel node, Vertx vertx, GrpcClient grpc, Duration timeout, Consumer<String> answered) {
    this.node = node;
    this.vertx = vertx;
    this.grpc = grpc;
    this.timeoutMs = Math.max(100, timeout.toMillis());
    this.answered = answered;
  }

  /** Probes from now on, until the node answers or {@link #stop}. */
  synchronized void start() {
    if (!stopped) return;
    stopped = false;
    delayMs = FIRST_DELAY_MS;
    schedule();
  }

  synchronized void stop() {
    stopped = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    timer = -1;
  }

  private synchronized void schedule() {
    if (stopped) return;
    long jittered = (long) (delayMs * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    delayMs = Math.min(MAX_DELAY_MS, delayMs * 2);
    timer = vertx.setTimer(jittered, id -> probe());
  }

  private void probe() {
    synchronized (this) {
      if (stopped) return;
    }
    grpc.request(node.socketAddress(), HEALTH_CHECK).onComplete(ar -> {
      if (ar.failed()) { // no connection: the node is down or unreachable
        schedule();
        return;
      }
      GrpcClientRequest<HealthCheckRequest, HealthCheckResponse> req = ar.result();
      req.timeout(timeoutMs, TimeUnit.MILLISECONDS);
      req.end(REQUEST);
      req.response().compose(resp -> resp.last()).onComplete(rar -> {
        if (rar.succeeded() && rar.result().getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
          synchronized (this) {
            stopped = true;
          }
          answered.accept("node " + node.address() + " answers again");
          return;
        }
        if (rar.failed() && !(rar.cause() instanceof InvalidStatusException)) {
          req.connection().close(); // no answer in time: this connection may be dead without knowing it
        }
        schedule();
      });
    });
  }
}
