package io.bootcache.client;

import com.google.protobuf.ByteString;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.BootSession;
import io.bootcache.v1.BootSummary;
import io.bootcache.v1.EndBootRequest;
import io.bootcache.v1.ReadEvent;
import io.bootcache.v1.RecordEvent;
import io.bootcache.v1.RecordSummary;
import io.bootcache.v1.WriteEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * One boot session's recorder: streams the VM's reads and writes to the cluster on one Record call.
 *
 * <p>Memory is bounded: events wait in a queue of at most {@link #MAX_QUEUED_BYTES} of write data and
 * {@link #MAX_QUEUED_EVENTS} events, drained as fast as the stream's flow control allows. Reads are best
 * effort: adjacent ones are merged, and when the queue is full they are dropped and counted. Writes are
 * never dropped silently: a writer waits for room up to the client's deadline, and a write that cannot
 * be delivered (no room in time, the stream broke, the node confirmed fewer writes than sent) marks the
 * disk stale, locally at once and in the cluster when it can be reached, so its reads go to the backend.
 */
public final class Recorder {
  static final long MAX_QUEUED_BYTES = 16L * 1024 * 1024;
  static final int MAX_QUEUED_EVENTS = 4096;
  private static final Logger LOG = Logger.getLogger(Recorder.class.getName());

  private final BootCacheClient client;
  private final Target target;
  private final BootSession session;
  private final int nodeIndex;
  private final Context context;
  private final long startNanos = System.nanoTime();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  private final ArrayDeque<Event> queue = new ArrayDeque<>(); // guarded by lock
  private long queuedBytes; // guarded by lock
  private final AtomicBoolean pumpScheduled = new AtomicBoolean();

  // Event loop only.
  private GrpcClientRequest<RecordEvent, RecordSummary> stream;
  private boolean openStarted;
  private boolean sessionIdSent;
  private boolean ending;
  private long writesSent;
  private final CompletableFuture<RecordSummary> summary = new CompletableFuture<>();

  private volatile boolean closed;
  private volatile String staleReason;
  private final java.util.concurrent.atomic.AtomicLong droppedReads = new java.util.concurrent.atomic.AtomicLong();
  private volatile long readsRecorded;
  private volatile long writesRecorded;

  /** A queued event; reads stay mutable so that an adjacent read can extend the last one. */
  private static final class Event {
    final boolean write;
    final long offset;
    long length;
    final long tMs;
    final ByteString data;
    final long seq;

    Event(boolean write, long offset, long length, long tMs, ByteString data, long seq) {
      this.write = write;
      this.offset = offset;
      this.length = length;
      this.tMs = tMs;
      this.data = data;
      this.seq = seq;
    }
  }

  Recorder(BootCacheClient client, Target target, BootSession session, int nodeIndex) {
    this.client = client;
    this.target = target;
    this.session = session;
    this.nodeIndex = nodeIndex;
    this.context = FetchStream.newEventLoopContext(client.vertx());
  }

  public String sessionId() { return session.getId(); }
  public BootSession session() { return session; }
  public Target target() { return target; }
  /** Reads left out of the profile because the queue was full or the stream was gone. */
  public long droppedReads() { return droppedReads.get(); }
  /** Null while every write got through; otherwise why the disk was marked stale. */
  public String staleReason() { return staleReason; }

  /** Records a read of [offset, offset + length). Never blocks; may be dropped when the queue is full. */
  public void read(long offset, long length) {
    checkRange("read", offset, length);
    if (closed) throw new IllegalStateException("recorder closed");
    if (summary.isDone()) { // the stream is gone
      droppedReads.incrementAndGet();
      return;
    }
    long t = elapsedMs();
    lock.lock();
    try {
      Event last = queue.peekLast();
      if (last != null && !last.write && last.offset + last.length == offset) {
        last.length += length;
        readsRecorded++;
        return;
      }
      if (queue.size() >= MAX_QUEUED_EVENTS || queuedBytes >= MAX_QUEUED_BYTES) {
        droppedReads.incrementAndGet();
        return;
      }
      queue.add(new Event(false, offset, length, t, null, 0));
      readsRecorded++;
    } finally {
      lock.unlock();
    }
    schedulePump();
  }

  /**
   * Records a write of data at offset (the bytes are copied). Waits for room in the queue up to the
   * client's deadline; a write that cannot be queued or delivered marks the disk stale.
   */
  public void write(long offset, byte[] data) {
    if (!target.isDisk()) throw new IllegalStateException("writes belong to a disk; this session boots " + target);
    checkRange("write", offset, data.length);
    if (closed) throw new IllegalStateException("recorder closed");
    if (staleReason != null) return; // the disk is stale already: its layer is not used until resynced
    if (summary.isDone()) {
      markStale("a write came after the record stream had failed");
      return;
    }
    Event e = new Event(true, offset, data.length, elapsedMs(), ByteString.copyFrom(data), WriteSequence.next());
    long waitNanos = client.deadline().toNanos();
    lock.lock();
    try {
      while (queue.size() >= MAX_QUEUED_EVENTS || (queuedBytes > 0 && queuedBytes + data.length > MAX_QUEUED_BYTES)) {
        if (staleReason != null) return;
        if (waitNanos <= 0) {
          lock.unlock();
          try {
            markStale("a write waited over " + client.deadline().toMillis() + " ms for room in the record queue");
          } finally {
            lock.lock();
          }
          return;
        }
        try {
          waitNanos = room.awaitNanos(waitNanos);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          lock.unlock();
          try {
            markStale("interrupted while queueing a write");
          } finally {
            lock.lock();
          }
          return;
        }
      }
      queue.add(e);
      queuedBytes += data.length;
      writesRecorded++;
    } finally {
      lock.unlock();
    }
    schedulePump();
  }

  /**
   * Refuses a range outside the target here, before anything is queued: the node would refuse it and
   * end the stream, and the writes queued behind it would then be lost.
   */
  private void checkRange(String what, long offset, long length) {
    long size = session.getSize();
    if (offset < 0 || length <= 0 || (size > 0 && (offset >= size || length > size - offset))) {
      throw new IllegalArgumentException("bad " + what + ": " + length + " bytes at " + offset + " of " + target
          + (size > 0 ? " (" + size + " bytes)" : ""));
    }
  }

  /**
   * Sends what is queued, ends the stream, checks the node got every write, and ends the boot session.
   *
   * @throws BootCacheException when the boot could not be ended (the cluster is unreachable); writes that
   *                            may be lost have marked the disk stale by then
   */
  public BootSummary close() {
    if (closed) throw new IllegalStateException("recorder closed already");
    closed = true;
    context.runOnContext(v -> {
      ending = true;
      if (!openStarted) summary.complete(RecordSummary.newBuilder().setSessionId(session.getId()).build()); // nothing recorded
      else pump();
    });
    long timeoutMs = Math.max(client.adminDeadline().toMillis(), client.deadline().toMillis());
    RecordSummary rs = null;
    try {
      rs = summary.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      onUndelivered("the node did not confirm the recorded events within " + timeoutMs + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      onUndelivered("interrupted while waiting for the node to confirm the recorded events");
    } catch (Exception e) {
      onUndelivered("the record stream failed: " + FetchStream.describe(e.getCause() == null ? e : e.getCause()));
    }
    if (rs != null && rs.getWrites() < writesRecorded && staleReason == null) {
      markStale("the node confirmed " + rs.getWrites() + " of " + writesRecorded + " writes");
    }
    if (rs == null) {
      context.runOnContext(v -> {
        if (stream != null) stream.cancel();
      });
    }
    return BootCacheClient.await(client.callFrom(nodeIndex, BootCacheGrpcClient.EndBoot,
        EndBootRequest.newBuilder().setSessionId(session.getId()).build(), client.adminDeadline(), true));
  }

  // ------------------------------------------------------------------ the stream (event loop)

  /** Opens the Record call on the session's node, or the next ones if it cannot be reached. */
  private void openOn(int attempt) {
    NodeChannel node = client.node(nodeIndex + attempt);
    client.recordGrpc().request(node.socketAddress(), GrpcMethods.RECORD).onComplete(ar -> {
      if (ar.failed()) {
        if (attempt < Math.max(client.retries(), client.nodeCount() - 1)) {
          openOn(attempt + 1);
        } else {
          streamFailed("cannot open the record stream: " + FetchStream.describe(ar.cause()));
        }
        return;
      }
      GrpcClientRequest<RecordEvent, RecordSummary> s = ar.result();
      stream = s;
      sessionIdSent = false;
      s.exceptionHandler(err -> streamFailed("the record stream failed: " + FetchStream.describe(err)));
      s.response()
          .compose(resp -> resp.last().recover(err -> Future.failedFuture(resp.status() != null && resp.status() != GrpcStatus.OK
              ? new BootCacheException(resp.status(), resp.statusMessage()) : err)))
          .onComplete(sar -> {
            if (sar.succeeded()) summary.complete(sar.result());
            else streamFailed("the record stream failed: " + FetchStream.describe(sar.cause()));
          });
      pump();
    });
  }

  private void schedulePump() {
    if (pumpScheduled.compareAndSet(false, true)) context.runOnContext(v -> pump());
  }

  /** Moves queued events onto the stream while its flow control allows; resumes on drain. */
  private void pump() {
    pumpScheduled.set(false);
    GrpcClientRequest<RecordEvent, RecordSummary> s = stream;
    if (s == null) {
      if (!openStarted) {
        openStarted = true;
        openOn(0); // lazily: a session that records nothing needs no stream
      }
      return;
    }
    while (!s.writeQueueFull()) {
      Event e;
      lock.lock();
      try {
        e = queue.poll();
        if (e != null && e.write) queuedBytes -= e.length;
        if (e != null) room.signalAll();
      } finally {
        lock.unlock();
      }
      if (e == null) {
        if (ending && !summary.isDone()) {
          ending = false;
          s.end();
        }
        return;
      }
      RecordEvent.Builder ev = RecordEvent.newBuilder();
      if (!sessionIdSent) {
        ev.setSessionId(session.getId());
        sessionIdSent = true;
      }
      if (e.write) {
        ev.setWrite(WriteEvent.newBuilder().setOffset(e.offset).setData(e.data).setTMs(e.tMs).setSeq(e.seq));
        writesSent++;
      } else {
        ev.setRead(ReadEvent.newBuilder().setOffset(e.offset).setLength(e.length).setTMs(e.tMs));
      }
      s.write(ev.build());
    }
    s.drainHandler(v -> pump());
  }

  /** The stream is gone before its summary: writes on it or still queued may be lost. */
  private void streamFailed(String why) {
    if (summary.isDone()) return;
    stream = null;
    boolean writesAtRisk;
    lock.lock();
    try {
      writesAtRisk = writesSent > 0 || queue.stream().anyMatch(e -> e.write);
      for (Event e : queue) if (!e.write) droppedReads.incrementAndGet();
      queue.clear();
      queuedBytes = 0;
      room.signalAll();
    } finally {
      lock.unlock();
    }
    if (writesAtRisk) onUndelivered(why);
    summary.completeExceptionally(new BootCacheException(GrpcStatus.UNAVAILABLE, why));
  }

  private void onUndelivered(String why) {
    if (writesRecorded > 0 && staleReason == null) markStale(why);
    else LOG.fine("recorder " + session.getId() + ": " + why);
  }

  private void markStale(String why) {
    if (staleReason != null) return;
    staleReason = why;
    if (target.isDisk()) client.markStale(target.id(), why);
  }

  private long elapsedMs() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}
