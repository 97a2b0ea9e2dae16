package io.bootcache.client.nbd;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Target;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts one {@link BootRecording} per NBD connection and ends each boot when it goes idle or its
 * boot window closes (a timer looks at them every second). Owns the threads that talk to the cluster
 * about sessions, so that no NBD thread ever waits for a session call.
 */
final class BootSessions implements AutoCloseable {
  private static final long CLOSE_WAIT_SECONDS = 15;

  private final BootCacheClient client;
  private final Duration idleTimeout;
  private final Duration startWait;
  private final Set<BootRecording> active = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer;
  private final ExecutorService calls;

  BootSessions(BootCacheClient client, Duration idleTimeout, Duration startWait) {
    this.client = client;
    this.idleTimeout = idleTimeout;
    this.startWait = startWait;
    AtomicInteger n = new AtomicInteger();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "nbd-boot-timer"));
    this.calls = Executors.newCachedThreadPool(r -> daemon(r, "nbd-boot-calls-" + n.incrementAndGet()));
    long tick = Math.max(50, Math.min(1000, idleTimeout.toMillis() / 4));
    timer.scheduleWithFixedDelay(this::endIdleBoots, tick, tick, TimeUnit.MILLISECONDS);
  }

  /** A boot session for one connection to {@code target} from {@code peer}. */
  BootRecording start(Target target, String peer) {
    BootRecording r = new BootRecording(client, target, peer, startWait, calls, timer, active::remove);
    active.add(r);
    return r;
  }

  /** True if no open connection is still in its boot. */
  boolean allBootsOver() {
    return active.stream().allMatch(BootRecording::bootOver);
  }

  private void endIdleBoots() {
    long now = System.nanoTime();
    for (BootRecording r : active) {
      r.endIfIdle(now, idleTimeout);
    }
  }

  /** Ends every boot and waits a while for their recorders to deliver what they hold. */
  @Override
  public void close() {
    for (BootRecording r : active) {
      r.close();
    }
    timer.shutdown();
    calls.shutdown();
    try {
      calls.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
