package io.bootcache.client;

import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One long-lived FetchStream call to one node: many requests in flight, each tagged with an id and
 * matched to its answer, which may come out of order. Callers on any thread {@link #send} into an outbox;
 * the stream's own event loop writes the outbox in batches, reads answers, and enforces deadlines. When
 * the call breaks or a request outlives its deadline, the node is marked down, the requests on it fail
 * (their senders retry elsewhere), and the first send after the node is up again reopens it.
 */
final class FetchStream {
  private final NodeChannel node;
  private final GrpcClient grpc;
  private final Context context;
  private final long deadlineNanos;
  private final Queue<Pending> outbox = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();

  // Event loop only.
  private final Map<Long, Pending> inFlight = new HashMap<>();
  private GrpcClientRequest<FetchRequest, FetchResponse> call;
  private boolean opening;
  private boolean closed;
  private long sweepTimer = -1;

  private record Pending(FetchRequest request, FetchCallback callback, long deadlineAt) {}

  FetchStream(NodeChannel node, GrpcClient grpc, Context context, long deadlineNanos) {
    this.node = node;
    this.grpc = grpc;
    this.context = context;
    this.deadlineNanos = deadlineNanos;
  }

  /** Sends a request; the callback hears of its answer or failure exactly once, on this stream's event loop. */
  void send(FetchRequest request, FetchCallback callback) {
    Pending p = new Pending(request, callback, System.nanoTime() + deadlineNanos);
    if (Vertx.currentContext() == context && call != null && outbox.isEmpty()) {
      // Already on this stream's event loop (a retry, or a caller chained on an answer): write now.
      inFlight.put(request.getId(), p);
      call.write(request);
      return;
    }
    outbox.add(p);
    if (flushScheduled.compareAndSet(false, true)) context.runOnContext(v -> flush());
  }

  Context context() {
    return context;
  }

  void close() {
    context.runOnContext(v -> {
      closed = true;
      if (sweepTimer >= 0) context.owner().cancelTimer(sweepTimer);
      GrpcClientRequest<FetchRequest, FetchResponse> c = call;
      call = null;
      if (c != null) c.cancel();
      failAll(new BootCacheException(GrpcStatus.UNAVAILABLE, "client closed"));
    });
  }

  /**
   * The node is down: drops the call and its connection (a partition may have left it half-open, so
   * the next call dials afresh) and fails everything queued or in flight, for retries elsewhere.
   */
  void abandon(String why) {
    context.runOnContext(v -> {
      GrpcClientRequest<FetchRequest, FetchResponse> c = call;
      call = null;
      if (c != null) c.connection().close();
      failAll(new BootCacheException(GrpcStatus.UNAVAILABLE, why));
    });
  }

  private void flush() {
    flushScheduled.set(false);
    if (closed) {
      failAll(new BootCacheException(GrpcStatus.UNAVAILABLE, "client closed"));
      return;
    }
    if (call == null) {
      if (!opening) open();
      return;
    }
    Pending p;
    while ((p = outbox.poll()) != null) {
      inFlight.put(p.request.getId(), p);
      call.write(p.request);
    }
  }

  private void open() { // its senders skip a node that is down, unless they have nowhere else to go
    opening = true;
    if (sweepTimer < 0) {
      long period = Math.max(10, Math.min(100, deadlineNanos / 4_000_000));
      sweepTimer = context.owner().setPeriodic(period, id -> sweepDeadlines());
    }
    grpc.request(node.socketAddress(), GrpcMethods.FETCH_STREAM).onComplete(ar -> {
      opening = false;
      if (ar.failed()) {
        node.markDown("cannot reach node " + node.address() + ": " + describe(ar.cause()));
        failAll(new BootCacheException(GrpcStatus.UNAVAILABLE, node.downReason(), ar.cause()));
        return;
      }
      GrpcClientRequest<FetchRequest, FetchResponse> c = ar.result();
      if (closed) {
        c.cancel();
        return;
      }
      call = c;
      c.exceptionHandler(err -> broken(c, "stream to " + node.address() + " failed: " + describe(err)));
      c.response().onComplete(rar -> {
        if (rar.failed()) {
          broken(c, "stream to " + node.address() + " failed: " + describe(rar.cause()));
          return;
        }
        GrpcClientResponse<FetchRequest, FetchResponse> resp = rar.result();
        resp.handler(this::onResponse);
        resp.exceptionHandler(err -> broken(c, "stream to " + node.address() + " failed: " + describe(err)));
        resp.endHandler(v -> broken(c, "node " + node.address() + " ended the stream"
            + (resp.status() == null || resp.status() == GrpcStatus.OK ? "" : " with " + resp.status() + ": " + resp.statusMessage())));
      });
      flush();
    });
  }

  private void onResponse(FetchResponse r) {
    Pending p = inFlight.remove(r.getId());
    if (p == null) return; // already timed out
    if (r.getErrorCode() != 0) {
      p.callback.onFailure(new BootCacheException(status(r.getErrorCode()), r.getErrorMessage()));
    } else {
      p.callback.onResponse(r);
    }
  }

  /** The call is gone: everything on it fails (retryable), the next send opens a new one. */
  private void broken(GrpcClientRequest<FetchRequest, FetchResponse> which, String why) {
    if (which != call) return;
    call = null;
    which.cancel();
    node.markDown(why);
    BootCacheException failure = new BootCacheException(GrpcStatus.UNAVAILABLE, why);
    List<Pending> lost = new ArrayList<>(inFlight.values());
    inFlight.clear();
    for (Pending p : lost) p.callback.onFailure(failure);
    if (!outbox.isEmpty() && !closed) open();
  }

  private void sweepDeadlines() {
    long now = System.nanoTime();
    List<Pending> late = null;
    for (Iterator<Pending> it = inFlight.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (now - p.deadlineAt >= 0) {
        it.remove();
        if (late == null) late = new ArrayList<>();
        late.add(p);
      }
    }
    if (late != null) {
      BootCacheException failure = new BootCacheException(GrpcStatus.DEADLINE_EXCEEDED,
          "node " + node.address() + " did not answer within the deadline");
      node.markDown(failure.getMessage()); // first, so that the retries below skip it
      for (Pending p : late) p.callback.onFailure(failure);
    }
  }

  private void failAll(BootCacheException failure) {
    List<Pending> lost = new ArrayList<>(inFlight.values());
    inFlight.clear();
    Pending p;
    while ((p = outbox.poll()) != null) lost.add(p);
    for (Pending q : lost) q.callback.onFailure(failure);
  }

  private static GrpcStatus status(int code) {
    for (GrpcStatus s : GrpcStatus.values()) if (s.code == code) return s;
    return GrpcStatus.UNKNOWN;
  }

  static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  static Context newEventLoopContext(Vertx vertx) {
    return ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
  }
}
