package io.bootcache.client.nbd;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Recorder;
import io.bootcache.client.Target;
import io.bootcache.v1.BootSummary;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One NBD connection's boot session. The boot starts when the connection opens (StartBoot runs in the
 * background; early reads wait for it a short while) and ends at the first of: the connection closes,
 * no request for the idle time, the boot window closes. Until then reads are recorded and carry the
 * session id (so their misses are admitted); after it they are served, just not recorded.
 *
 * <p>Writes are not recorded here: a full clone's writes go to the cluster one by one, acknowledged
 * ({@link AcknowledgedWrites}). If StartBoot fails the connection is served without recording.
 */
final class BootRecording {
  private static final Logger LOG = Logger.getLogger(BootRecording.class.getName());
  /** Reads kept while a session starts; a boot's first second rarely has more (beyond: not profiled). */
  private static final int MAX_EARLY_READS = 4096;

  private final BootCacheClient client;
  private final Target target;
  private final String peer;
  private final Duration startWait;
  private final ExecutorService calls;
  private final ScheduledExecutorService timer;
  private final Consumer<BootRecording> onClosed;

  /** The boot's recorder; completes with null when no session could be started. */
  private final CompletableFuture<Recorder> boot;
  /** Held for reading while recording on the boot's recorder, for writing to end the boot. */
  private final ReentrantReadWriteLock bootLock = new ReentrantReadWriteLock();
  private boolean bootOver; // guarded by bootLock
  /**
   * Reads served while the session was still starting (StartBoot slower than startWait): recorded into
   * it once it has started, so that a slow start costs the boot's admissions, not its profile.
   */
  private final List<long[]> earlyReads = new ArrayList<>(); // guarded by itself
  private boolean sessionSettled; // guarded by earlyReads: started or failed, early reads recorded

  private volatile long lastRequestNanos = System.nanoTime();
  private final AtomicBoolean closed = new AtomicBoolean();

  BootRecording(BootCacheClient client, Target target, String peer, Duration startWait, ExecutorService calls,
         ScheduledExecutorService timer, Consumer<BootRecording> onClosed) {
    this.client = client;
    this.target = target;
    this.peer = peer;
    this.startWait = startWait;
    this.calls = calls;
    this.timer = timer;
    this.onClosed = onClosed;
    this.boot = CompletableFuture.supplyAsync(() -> startSession("boot"), calls);
  }

  /** Records a read (while the boot lasts) and gives the session id to read with ("" for none). */
  CompletableFuture<String> beforeRead(long offset, long length) {
    lastRequestNanos = System.nanoTime();
    CompletableFuture<Recorder> ready = boot.isDone() ? boot
        : boot.copy().completeOnTimeout(null, startWait.toMillis(), TimeUnit.MILLISECONDS);
    return ready.thenApply(recorder -> recordRead(recorder, offset, length));
  }

  private String recordRead(Recorder ready, long offset, long length) {
    Recorder recorder = ready;
    if (recorder == null) {
      synchronized (earlyReads) {
        if (!sessionSettled) { // still starting: kept for it (served uncached meanwhile)
          if (earlyReads.size() < MAX_EARLY_READS) earlyReads.add(new long[] {offset, length});
          return "";
        }
      }
      recorder = boot.getNow(null); // it started (or failed) since
      if (recorder == null) {
        return "";
      }
    }
    bootLock.readLock().lock();
    try {
      if (bootOver) {
        return "";
      }
      recorder.read(offset, length);
      return recorder.sessionId();
    } catch (RuntimeException e) {
      return ""; // the recorder is gone; serving goes on
    } finally {
      bootLock.readLock().unlock();
    }
  }

  /** Called by the timer: ends the boot when idle or past its window. */
  void endIfIdle(long nowNanos, Duration idleTimeout) {
    if (nowNanos - lastRequestNanos > idleTimeout.toNanos()) {
      endBoot("idle for " + idleTimeout.toSeconds() + " s");
    } else {
      Recorder recorder = boot.getNow(null);
      if (recorder != null && System.currentTimeMillis() >= recorder.session().getDeadlineMs()) {
        endBoot("boot window closed");
      }
    }
  }

  /** True once this connection's reads are no longer recorded. */
  boolean bootOver() {
    bootLock.readLock().lock();
    try {
      return bootOver;
    } finally {
      bootLock.readLock().unlock();
    }
  }

  /** The session id of the boot (empty until started, or when none could be). */
  String sessionId() {
    Recorder r = boot.getNow(null);
    return r == null ? "" : r.sessionId();
  }

  void endBoot(String why) {
    bootLock.writeLock().lock();
    try {
      if (bootOver) {
        return;
      }
      bootOver = true;
    } finally {
      bootLock.writeLock().unlock();
    }
    boot.thenAcceptAsync(recorder -> {
      if (recorder != null) {
        closeRecorder(recorder, why);
      }
    }, calls);
  }

  /** The connection is gone: ends the boot (its queued reads are still sent). */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    endBoot("disconnected");
    onClosed.accept(this);
  }

  private Recorder startSession(String what) {
    Recorder r = null;
    try {
      r = client.startBoot(target, peer);
      String id = r.sessionId();
      LOG.fine(() -> "session " + id + " (" + what + ") for " + target + " from " + peer);
    } catch (RuntimeException e) {
      LOG.warning("no " + what + " session for " + target + " from " + peer + ", serving without recording: "
          + e.getMessage());
    }
    recordEarlyReads(r);
    return r;
  }

  /**
   * Before the boot future completes, so before the boot can be closed: the reads that came while the
   * session started belong to it even if the connection is gone by now.
   */
  private void recordEarlyReads(Recorder recorder) {
    synchronized (earlyReads) {
      sessionSettled = true;
      try {
        if (recorder != null) for (long[] r : earlyReads) recorder.read(r[0], r[1]);
      } catch (RuntimeException e) {
        LOG.fine(() -> "the early reads of " + target + " could not be recorded: " + e.getMessage());
      }
      earlyReads.clear();
    }
  }

  private void closeRecorder(Recorder recorder, String why) {
    try {
      BootSummary s = recorder.close();
      LOG.fine(() -> "session " + s.getSessionId() + " of " + target + " ended (" + why + "): "
          + s.getBlocksRead() + " blocks read in " + s.getDurationMs() + " ms");
    } catch (RuntimeException e) {
      LOG.log(Level.INFO, "session " + recorder.sessionId() + " of " + target + " ended (" + why
          + ") without EndBoot: " + e.getMessage());
    }
  }

}
