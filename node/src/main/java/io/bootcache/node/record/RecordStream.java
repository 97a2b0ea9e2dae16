package io.bootcache.node.record;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeMetrics;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.read.BlockMaps;
import io.bootcache.node.read.Block;
import io.bootcache.node.read.ClusterBlocks;
import io.bootcache.v1.BootSession;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;
import io.bootcache.v1.ReadEvent;
import io.bootcache.v1.RecordEvent;
import io.bootcache.v1.RecordSummary;
import io.bootcache.v1.WriteEvent;
import io.vertx.core.Completable;
import io.vertx.core.Context;
import io.vertx.core.streams.ReadStream;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One Record stream: one boot session's reads and writes, in order. Reads fold into the session's
 * first-touch map, merged into the image's profile when the stream ends cleanly; writes go to the
 * disk's layer as they come. Events are applied on a worker, one at a time; the stream is paused
 * while too many wait. A stream that breaks may have lost writes in transit: its disk goes stale.
 */
public final class RecordStream {
  private static final int MAX_QUEUED = 256;

  /** What a record stream needs from its node. */
  public record Deps(Catalog catalog, Sessions sessions, ProfileStore profiles, WriteApplier writes, BlockMaps maps,
      ClusterBlocks cluster, NodeMetrics metrics, boolean trustRecordedReads, Executor workers) {}

  private final Deps deps;
  private final Context context;
  private final ReadStream<RecordEvent> in;
  private final Consumer<BootSession> mayRecord;
  private final Completable<RecordSummary> out;
  private final Queue<RecordEvent> queue = new ConcurrentLinkedQueue<>();
  // touched on the context thread only
  private boolean draining;
  private boolean ended;
  private boolean paused;
  private boolean done;
  // touched by the draining worker only (one at a time)
  private BootSession session;
  private Image image;
  private final FirstTouches firstTouch = new FirstTouches();
  private long reads;
  private long writes;
  private long writeBytes;

  /**
   * @param mayRecord throws an ApiError (PERMISSION_DENIED) when the caller may not record into this
   *     session: the stream is refused before anything is recorded
   */
  public RecordStream(Deps deps, Context context, ReadStream<RecordEvent> in, Consumer<BootSession> mayRecord,
      Completable<RecordSummary> out) {
    this.deps = deps;
    this.context = context;
    this.in = in;
    this.mayRecord = mayRecord;
    this.out = out;
  }

  public void start() {
    in.handler(this::onEvent);
    in.endHandler(v -> {
      ended = true;
      schedule();
    });
    in.exceptionHandler(this::onBroken);
    // a cancelled or reset call arrives as a gRPC error, not an exception
    if (in instanceof io.vertx.grpc.common.GrpcReadStream<RecordEvent> grpc) {
      grpc.errorHandler(err -> onBroken(new IllegalStateException("the call was " + err.name().toLowerCase())));
    }
  }

  private void onEvent(RecordEvent event) {
    if (done) return;
    queue.add(event);
    if (queue.size() > MAX_QUEUED && !paused) {
      paused = true;
      in.pause();
    }
    schedule();
  }

  private void schedule() {
    if (draining || done) return;
    if (queue.isEmpty()) {
      if (ended) finish();
      return;
    }
    draining = true;
    deps.workers().execute(this::drain);
  }

  private void drain() {
    RuntimeException failure = null;
    RecordEvent e;
    while (failure == null && (e = queue.poll()) != null) {
      try {
        apply(e);
      } catch (RuntimeException ex) {
        failure = ex;
      }
    }
    RuntimeException failed = failure;
    context.runOnContext(v -> {
      draining = false;
      if (failed != null) {
        fail(failed);
        return;
      }
      if (paused && queue.size() < MAX_QUEUED / 2) {
        paused = false;
        in.resume();
      }
      schedule();
    });
  }

  private void apply(RecordEvent e) {
    if (session == null) {
      if (e.getSessionId().isEmpty()) throw ApiError.invalid("the first record event must carry the session id");
      BootSession asked = deps.sessions().get(e.getSessionId());
      mayRecord.accept(asked);
      session = asked;
      image = deps.catalog().image(session.getImageId());
    } else if (!e.getSessionId().isEmpty() && !e.getSessionId().equals(session.getId())) {
      throw ApiError.invalid("record event for session " + e.getSessionId() + " on the stream of session " + session.getId());
    }
    switch (e.getEventCase()) {
      case READ -> read(e.getRead());
      case WRITE -> write(e.getWrite());
      case EVENT_NOT_SET -> throw ApiError.invalid("record event carries neither a read nor a write");
    }
  }

  private void read(ReadEvent r) {
    long size = image.getSize();
    if (r.getOffset() < 0 || r.getLength() <= 0 || r.getOffset() >= size || r.getLength() > size - r.getOffset()) {
      throw ApiError.outOfRange("recorded read " + r.getOffset() + "+" + r.getLength() + " is outside image "
          + image.getId() + " (" + size + " bytes)");
    }
    reads++;
    deps.metrics().recordedReads.inc();
    long windowMs = session.getDeadlineMs() - session.getStartedAtMs();
    if (r.getTMs() < 0 || r.getTMs() > windowMs) return; // outside the boot window: not part of the boot
    int bs = image.getBlockSize();
    int t = (int) r.getTMs();
    firstTouch.touch(r.getOffset() / bs, (r.getOffset() + r.getLength() - 1) / bs, t);
    if (!r.getData().isEmpty()) admitReadData(r);
  }

  /** Read data from a trusted recorder fills blocks nobody mapped yet; it never replaces a mapping. */
  private void admitReadData(ReadEvent r) {
    if (!deps.trustRecordedReads() || !session.getDiskId().isEmpty() || r.getData().size() != r.getLength()) {
      deps.metrics().droppedReadData.inc();
      return;
    }
    int bs = image.getBlockSize();
    byte[] data = r.getData().toByteArray();
    for (long b = (r.getOffset() + bs - 1) / bs; ; b++) {
      long start = b * bs;
      long end = Math.min(start + bs, image.getSize());
      if (end > r.getOffset() + data.length || start >= end) break;
      if (deps.maps().remembered(image.getId(), b) != null) continue;
      if (!deps.maps().lookUp(Set.of(deps.maps().imageRef(image.getId(), b))).isEmpty()) continue;
      ByteBuffer block = ByteBuffer.wrap(data, (int) (start - r.getOffset()), (int) (end - start)).slice();
      deps.cluster().admit(image.getId(), new Block[] {Block.hashed(b, block)});
    }
  }

  private void write(WriteEvent w) {
    if (session.getDiskId().isEmpty()) {
      throw ApiError.permissionDenied("session " + session.getId() + " boots image " + image.getId()
          + ", which is read-only: writes need a disk session");
    }
    Disk disk = deps.catalog().disk(session.getDiskId());
    deps.writes().apply(disk, image, w.getOffset(), w.getData().toByteArray(), w.getSeq());
    writes++;
    writeBytes += w.getData().size();
  }

  private void finish() {
    done = true;
    deps.workers().execute(() -> {
      try {
        if (session != null && !firstTouch.isEmpty()) {
          deps.profiles().merge(image.getId(), image.getBlockSize(), firstTouch);
          deps.sessions().setBlocksRead(session.getId(), firstTouch.size());
        }
        RecordSummary summary = RecordSummary.newBuilder()
            .setSessionId(session == null ? "" : session.getId())
            .setReads(reads).setWrites(writes).setWriteBytes(writeBytes).build();
        context.runOnContext(v -> out.succeed(summary));
      } catch (RuntimeException e) {
        context.runOnContext(v -> out.fail(e));
      }
    });
  }

  /**
   * Ends the stream with the failure. An event the node refused (out of range, malformed, another
   * session's, not allowed) changes nothing: it is answered with its status and the disk keeps its
   * state; the caller knows nothing after it was applied. Any other failure may have lost a write
   * that was acknowledged to the VM, so the disk goes stale.
   */
  private void fail(RuntimeException e) {
    if (done) return;
    done = true;
    queue.clear();
    if (!refused(e)) markStaleIfDisk("its recorder's stream failed: " + e.getMessage());
    out.fail(e);
  }

  private static boolean refused(RuntimeException e) {
    ApiError api = ApiError.in(e);
    return api != null && api.isRefusal();
  }

  private void onBroken(Throwable t) {
    if (done) return;
    done = true;
    queue.clear();
    markStaleIfDisk("its recorder's stream broke mid-way (" + t.getMessage() + "); writes may be lost");
  }

  private void markStaleIfDisk(String reason) {
    deps.workers().execute(() -> {
      BootSession s = session;
      if (s != null && !s.getDiskId().isEmpty()) {
        try {
          deps.catalog().markStale(s.getDiskId(), reason);
        } catch (RuntimeException ignored) {
          // the disk is gone; nothing to protect
        }
      }
    });
  }
}
