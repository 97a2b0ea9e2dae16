package io.bootcache.client.nbd;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Caps the bytes of reads in flight to the cluster; the rest wait here, in arrival order.
 * Without it a deep client (nbdcopy keeps 64 requests of 256 KiB in flight per connection) queues
 * so much in the cluster that requests pass their deadline while waiting, and the client library then
 * retries them or reads the backend: more work for the same bytes. Waiting here costs no deadline.
 */
final class ReadThrottle {
  private final long maxBytes;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>(); // guarded by this
  private long inFlight; // guarded by this

  private record Pending(long bytes, Supplier<CompletableFuture<ByteBuffer>> read, CompletableFuture<ByteBuffer> result) {}

  ReadThrottle(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Runs {@code read} as soon as fewer than the cap's bytes are in flight (one read always may). */
  CompletableFuture<ByteBuffer> submit(long bytes, Supplier<CompletableFuture<ByteBuffer>> read) {
    Pending p = new Pending(bytes, read, new CompletableFuture<>());
    boolean now;
    synchronized (this) {
      now = waiting.isEmpty() && fits(bytes);
      if (now) {
        inFlight += bytes;
      } else {
        waiting.add(p);
      }
    }
    if (now) {
      run(p);
    }
    return p.result();
  }

  private boolean fits(long bytes) {
    return inFlight == 0 || inFlight + bytes <= maxBytes;
  }

  private void run(Pending p) {
    CompletableFuture<ByteBuffer> f;
    try {
      f = p.read().get();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((data, failure) -> {
      release(p.bytes());
      if (failure != null) {
        p.result().completeExceptionally(failure);
      } else {
        p.result().complete(data);
      }
    });
  }

  private void release(long bytes) {
    List<Pending> next = new ArrayList<>();
    synchronized (this) {
      inFlight -= bytes;
      while (!waiting.isEmpty() && fits(waiting.peek().bytes())) {
        Pending p = waiting.poll();
        inFlight += p.bytes();
        next.add(p);
      }
    }
    next.forEach(this::run);
  }
}
