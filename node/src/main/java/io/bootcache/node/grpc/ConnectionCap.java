package io.bootcache.node.grpc;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Closes gRPC connections past a cap: every connection may hold streams and their buffers, so their
 * number must be bounded too, whatever a peer does. One log line per 10 s at most says so.
 */
public final class ConnectionCap implements Handler<HttpConnection> {
  private static final Logger LOG = Logger.getLogger(ConnectionCap.class.getName());
  private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong nextLog = new AtomicLong(System.nanoTime());

  public ConnectionCap(int max) {
    if (max < 1) throw new IllegalArgumentException("the gRPC connection cap must be at least 1, got " + max);
    this.max = max;
  }

  @Override
  public void handle(HttpConnection connection) {
    int now = open.incrementAndGet();
    connection.closeHandler(v -> open.decrementAndGet());
    if (now <= max) return;
    long due = nextLog.get();
    if (System.nanoTime() - due >= 0 && nextLog.compareAndSet(due, System.nanoTime() + LOG_EVERY_NANOS)) {
      LOG.warning("closing a gRPC connection from " + connection.remoteAddress() + ": " + max
          + " are open, the most this node takes (--grpc-max-connections)");
    }
    connection.close();
  }
}
