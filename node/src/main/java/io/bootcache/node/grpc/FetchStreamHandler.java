package io.bootcache.node.grpc;

import com.codahale.metrics.Timer;
import io.bootcache.node.NodeServices;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadResult;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.vertx.core.Context;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One FetchStream: many reads in flight, answered as they complete. Whatever arrives while a
 * batch is being resolved forms the next batch, so under load one cluster look-up serves many
 * requests. Answers are written on the stream's context in bursts. A failed request is answered
 * with its status in error_code; the stream goes on.
 */
final class FetchStreamHandler {
  private static final int MAX_IN_FLIGHT = 512;

  private final NodeServices node;
  private final FetchRequests requests;
  private final Context context;
  private final GrpcServerRequest<FetchRequest, FetchResponse> in;
  private final GrpcServerResponse<FetchRequest, FetchResponse> out;
  private final Queue<FetchRequest> arrived = new ConcurrentLinkedQueue<>();
  private final Queue<FetchResponse> ready = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  // touched on the context thread only
  private int inFlight;
  private boolean batching;
  private boolean ended;
  private boolean paused;
  private boolean closed;

  FetchStreamHandler(NodeServices node, Context context, GrpcServerRequest<FetchRequest, FetchResponse> in,
      GrpcServerResponse<FetchRequest, FetchResponse> out) {
    this.node = node;
    this.requests = new FetchRequests(node);
    this.context = context;
    this.in = in;
    this.out = out;
  }

  void start() {
    // headers now, so a client may wait for the response stream before it sends anything
    out.writeHead();
    in.handler(r -> {
      inFlight++;
      if (answeredLocally(r)) return;
      arrived.add(r);
      throttle();
      startBatch();
    });
    in.endHandler(v -> {
      ended = true;
      endIfDone();
    });
    in.exceptionHandler(t -> closed = true);
    in.errorHandler(err -> closed = true);
    out.exceptionHandler(t -> closed = true);
    out.drainHandler(v -> throttle());
  }

  /** A hit this node holds is answered right here on the event loop: no thread hop, no network. */
  private boolean answeredLocally(FetchRequest r) {
    long started = System.nanoTime();
    ReadRequest req = requests.validateLocally(r);
    ReadResult res = req == null ? null : node.reader().readLocally(req);
    if (res == null) return false;
    // written here, while Vert.x handles the inbound read: it flushes once when the read burst ends
    inFlight--;
    if (!closed) out.write(FetchRequests.response(r.getId(), res));
    node.metrics().fetches.mark();
    node.metrics().fetchLatency.update(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
    return true;
  }

  private void throttle() {
    boolean tooMuch = inFlight >= MAX_IN_FLIGHT || out.writeQueueFull();
    if (tooMuch && !paused) {
      paused = true;
      in.pause();
    } else if (!tooMuch && paused) {
      paused = false;
      in.resume();
    }
  }

  private void startBatch() {
    if (batching || arrived.isEmpty()) return;
    batching = true;
    node.workers().execute(this::resolveBatch);
  }

  private void resolveBatch() {
    List<FetchRequest> batch = new ArrayList<>();
    for (FetchRequest r; (r = arrived.poll()) != null; ) batch.add(r);
    List<ReadRequest> valid = new ArrayList<>(batch.size());
    List<FetchRequest> validFor = new ArrayList<>(batch.size());
    for (FetchRequest r : batch) {
      try {
        valid.add(requests.validate(r));
        validFor.add(r);
      } catch (RuntimeException e) {
        node.metrics().fetchErrors.inc();
        answer(FetchRequests.error(r.getId(), e));
      }
    }
    List<CompletableFuture<ReadResult>> results;
    try {
      results = node.reader().readAll(valid);
    } catch (RuntimeException e) {
      results = new ArrayList<>();
      for (int i = 0; i < valid.size(); i++) results.add(CompletableFuture.failedFuture(e));
    }
    for (int i = 0; i < results.size(); i++) {
      long id = validFor.get(i).getId();
      Timer.Context timer = node.metrics().fetchLatency.time();
      results.get(i).whenComplete((res, err) -> {
        timer.stop();
        node.metrics().fetches.mark();
        if (err != null) node.metrics().fetchErrors.inc();
        answer(err == null ? FetchRequests.response(id, res) : FetchRequests.error(id, err));
      });
    }
    context.runOnContext(v -> {
      batching = false;
      startBatch();
    });
  }

  /** Queues an answer; one task on the context writes all that are queued. */
  private void answer(FetchResponse response) {
    ready.add(response);
    if (flushScheduled.compareAndSet(false, true)) context.runOnContext(v -> flush());
  }

  private void flush() {
    flushScheduled.set(false);
    for (FetchResponse r; (r = ready.poll()) != null; ) {
      inFlight--;
      if (!closed) out.write(r);
    }
    throttle();
    endIfDone();
  }

  private void endIfDone() {
    if (ended && inFlight == 0 && !closed) {
      closed = true;
      out.end();
    }
  }
}
