package io.bootcache.node.grpc;

import io.bootcache.node.NodeServices;
import io.bootcache.node.access.Principal;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadResult;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.vertx.core.Context;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One FetchStream: many reads in flight, answered as they complete, out of order. A read this host
 * holds entirely is answered right on the event loop; the others go to the node's reader, and their
 * answers are written on the stream's context in bursts that share one flush. A failed request is
 * answered with its status in error_code; the stream goes on. A request counts against the stream's
 * budget from when it is read until its answer is on the socket: past {@link #MAX_IN_FLIGHT}
 * requests or the node's fetch queue of bytes, the stream stops reading requests (the HTTP/2 flow
 * control then stops the client), so a client that never reads its answers holds a bounded amount
 * of memory.
 */
final class FetchStreamHandler {
  static final int MAX_IN_FLIGHT = 512;

  private record Answer(long charged, FetchResponse response, ReadResult result) {}

  private final NodeServices node;
  private final FetchRequests requests;
  private final AnswerBudget nodeBudget;
  /** Told by the node's budget when it has room again. */
  private final Runnable wake;
  private final Principal caller;
  private final Context context;
  private final GrpcServerRequest<FetchRequest, FetchResponse> in;
  private final GrpcServerResponse<FetchRequest, FetchResponse> out;
  private final Queue<Answer> ready = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();
  private final long maxQueuedBytes;
  // touched on the context thread only
  private int inFlight;
  private long inFlightBytes;
  private boolean ended;
  private boolean paused;
  private boolean closed;

  FetchStreamHandler(NodeServices node, FetchRequests requests, AnswerBudget nodeBudget, Principal caller,
      Context context, GrpcServerRequest<FetchRequest, FetchResponse> in,
      GrpcServerResponse<FetchRequest, FetchResponse> out) {
    this.node = node;
    this.requests = requests;
    this.nodeBudget = nodeBudget;
    this.wake = () -> context.runOnContext(v -> throttle());
    this.caller = caller;
    this.context = context;
    this.in = in;
    this.out = out;
    this.maxQueuedBytes = node.config().limits().fetchQueueBytes();
  }

  void start() {
    // headers now, so a client may wait for the response stream before it sends anything
    out.writeHead();
    in.handler(this::onRequest);
    in.endHandler(v -> {
      ended = true;
      endIfDone();
    });
    in.exceptionHandler(t -> closed = true);
    in.errorHandler(err -> closed = true);
    out.exceptionHandler(t -> closed = true);
    out.drainHandler(v -> throttle());
  }

  private void onRequest(FetchRequest r) {
    long started = System.nanoTime();
    long charged = charge(r.getLength());
    ReadRequest req = requests.validateLocally(caller, r);
    ReadResult local = req == null ? null : node.reader().readLocal(req);
    if (local != null) {
      // written here, while Vert.x handles the inbound read: it flushes once when the read burst ends
      write(new Answer(charged, FetchRequests.response(r.getId(), local, req.image().getBlockSize()), local));
      timed(started, false);
      throttle();
      return;
    }
    CompletableFuture<ReadRequest> checked = req != null ? CompletableFuture.completedFuture(req)
        : CompletableFuture.supplyAsync(() -> requests.validate(caller, r), node.workers());
    checked.thenCompose(valid -> node.reader().read(valid).thenApply(res ->
            new Answer(charged, FetchRequests.response(r.getId(), res, valid.image().getBlockSize()), res)))
        .whenComplete((answer, err) -> {
          timed(started, err != null);
          queue(err == null ? answer : new Answer(charged, FetchRequests.error(r.getId(), err), null));
        });
    throttle();
  }

  private void timed(long started, boolean failed) {
    node.metrics().fetches.mark();
    node.metrics().fetchLatency.observeSince(started);
    if (failed) node.metrics().fetchErrors.inc();
  }

  /** Queues an answer; one task on the context writes all that are queued. */
  private void queue(Answer answer) {
    ready.add(answer);
    if (flushScheduled.compareAndSet(false, true)) context.runOnContext(v -> writeReady());
  }

  private void writeReady() {
    flushScheduled.set(false);
    for (Answer a; (a = ready.poll()) != null; ) write(a);
    throttle();
    endIfDone();
  }

  /** Counts a request against the budget: its length (a bad one's at most the request cap: it is refused). */
  private long charge(long length) {
    long charged = Math.min(Math.max(0, length), node.config().maxRequestBytes());
    inFlight++;
    inFlightBytes += charged;
    nodeBudget.charge(charged);
    return charged;
  }

  private void write(Answer a) {
    try {
      if (closed) {
        released(a.charged());
      } else {
        // encoded here: the blocks' memory is free to go after it; the budget once the answer is on the socket
        out.write(a.response()).onComplete(done -> released(a.charged()));
      }
    } catch (RuntimeException e) {
      closed = true; // the stream is gone under us: its budget must come back all the same
      released(a.charged());
    } finally {
      if (a.result() != null) a.result().release();
    }
  }

  /** An answer left for the socket (or the stream is gone): its budget is free; on the stream's event loop. */
  private void released(long charged) {
    inFlight--;
    inFlightBytes -= charged;
    nodeBudget.release(charged);
    throttle();
    endIfDone();
  }

  private void throttle() {
    boolean nodeFull = inFlight > 0 && nodeBudget.full(); // holding nothing, a stream may take one request
    boolean tooMuch = nodeFull || inFlight >= MAX_IN_FLIGHT || inFlightBytes >= maxQueuedBytes || out.writeQueueFull();
    if (nodeFull && !closed) nodeBudget.awaitRoom(wake);
    if (tooMuch && !paused) {
      paused = true;
      in.pause();
    } else if (!tooMuch && paused) {
      paused = false;
      in.resume();
    }
  }

  private void endIfDone() {
    if (ended && inFlight == 0 && !closed) {
      closed = true;
      out.end();
    }
  }
}
