package io.bootcache.node.grpc;

import com.google.protobuf.Descriptors;
import io.bootcache.node.ApiError;
import io.bootcache.node.ClusterNotReady;
import io.bootcache.node.ClusterUsage;
import io.bootcache.node.NodeServices;
import io.bootcache.node.access.Access;
import io.bootcache.node.access.Principal;
import io.bootcache.node.access.Role;
import io.bootcache.node.catalog.TargetKind;
import io.bootcache.node.read.Block;
import io.bootcache.node.read.BootOrder;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadResult;
import io.bootcache.node.record.RecordStream;
import io.bootcache.v1.*;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The BootCache gRPC service of one node: binds each method, takes the caller's principal from its
 * connection (the client certificate's CN with TLS, the local principal without), asks the node's
 * {@link Access} whether it may, and hands the call to the node's parts.
 */
public final class GrpcApi implements Service {
  private final Vertx vertx;
  private final NodeServices node;
  private final Access access;
  private final FetchRequests fetches;
  private final AnswerBudget answers;
  private final RecordStream.Deps recordDeps;

  public GrpcApi(Vertx vertx, NodeServices node, Access access) {
    this.vertx = vertx;
    this.node = node;
    this.access = access;
    this.fetches = new FetchRequests(node, access);
    this.answers = new AnswerBudget(node.config().limits().fetchQueueTotalBytes(), node.metrics().fetchQueuedBytes);
    this.recordDeps = new RecordStream.Deps(node.catalog(), node.sessions(), node.profiles(), node.writes(), node.maps(),
        node.cluster(), node.metrics(), node.config().trustRecordedReads(), node.workers());
  }

  @Override
  public ServiceName name() {
    return BootCacheGrpcService.SERVICE_NAME;
  }

  @Override
  public Descriptors.ServiceDescriptor descriptor() {
    return BootCacheGrpcService.SERVICE_DESCRIPTOR;
  }

  @Override
  public void bind(GrpcServer server) {
    server.callHandler(BootCacheGrpcService.RegisterImage, refusingInvalid(unary(this::registerImage)));
    server.callHandler(BootCacheGrpcService.ListImages, refusingInvalid(unary(this::listImages)));
    server.callHandler(BootCacheGrpcService.RegisterDisk, refusingInvalid(unary(this::registerDisk)));
    server.callHandler(BootCacheGrpcService.ListDisks, refusingInvalid(unary(this::listDisks)));
    server.callHandler(BootCacheGrpcService.Fetch, refusingInvalid(unary(this::fetch)));
    server.callHandler(BootCacheGrpcService.GetBlockManifest, refusingInvalid(unary(this::getBlockManifest)));
    server.callHandler(BootCacheGrpcService.FetchStream, refusingInvalid(call ->
        new FetchStreamHandler(node, fetches, answers, callerOf(call), vertx.getOrCreateContext(), call, call.response())
            .start()));
    server.callHandler(BootCacheGrpcService.StartBoot, refusingInvalid(unary(this::startBoot)));
    server.callHandler(BootCacheGrpcService.Record, refusingInvalid(this::record));
    server.callHandler(BootCacheGrpcService.RecordWrite, refusingInvalid(unary(this::recordWrite)));
    server.callHandler(BootCacheGrpcService.EndBoot, refusingInvalid(unary(this::endBoot)));
    server.callHandler(BootCacheGrpcService.MarkStale, refusingInvalid(unary(this::markStale)));
    server.callHandler(BootCacheGrpcService.ResyncDisk, refusingInvalid(unary(this::resyncDisk)));
    server.callHandler(BootCacheGrpcService.ResetDisk, refusingInvalid(unary(this::resetDisk)));
    server.callHandler(BootCacheGrpcService.Warm, refusingInvalid(unary(this::warm)));
    server.callHandler(BootCacheGrpcService.Prefetch, refusingInvalid(this::prefetch));
    server.callHandler(BootCacheGrpcService.GetProfile, refusingInvalid(unary(this::getProfile)));
    server.callHandler(BootCacheGrpcService.GetStats, refusingInvalid(unary(this::getStats)));
  }

  /**
   * A message that is not valid protobuf, or over the node's message cap, is answered with a status
   * (INVALID_ARGUMENT, RESOURCE_EXHAUSTED) that says so, rather than a reset stream or silence.
   */
  private <Req, Resp> Handler<GrpcServerRequest<Req, Resp>> refusingInvalid(
      Handler<GrpcServerRequest<Req, Resp>> handler) {
    return call -> {
      call.invalidMessageHandler(invalid -> {
        if (invalid instanceof MessageSizeOverflowException big) {
          call.response().status(GrpcStatus.RESOURCE_EXHAUSTED).statusMessage("a message of " + big.messageSize()
              + " bytes is over this node's cap of " + node.config().maxMessageBytes() + " bytes").end();
        } else {
          call.response().status(GrpcStatus.INVALID_ARGUMENT).statusMessage("the request is not a valid "
              + call.fullMethodName() + " message: " + invalid.getCause()).end();
        }
      });
      handler.handle(call);
    };
  }

  /** Who made the call: one place for every method. */
  private static Principal callerOf(GrpcServerRequest<?, ?> call) {
    return Principal.of(call.connection().sslSession());
  }

  /** A method of one request and one answer, told who asks. */
  private static <Req, Resp> Handler<GrpcServerRequest<Req, Resp>> unary(BiFunction<Principal, Req, Future<Resp>> method) {
    return call -> {
      Principal caller = callerOf(call);
      call.handler(request -> method.apply(caller, request).onComplete((answer, err) -> {
        if (err == null) call.response().end(answer);
        else call.response().fail(err);
      }));
    };
  }

  /**
   * Runs cluster calls on a worker, never on the event loop; maps failures to statuses. An inactive
   * cluster is refused first: Ignite would hold the call until it is active again.
   */
  private <T> Future<T> blocking(Supplier<T> work) {
    Context ctx = vertx.getOrCreateContext();
    return Future.fromCompletionStage(CompletableFuture.supplyAsync(() -> {
      ClusterNotReady.requireActive(node.ignite());
      return work.get();
    }, node.workers()), ctx)
        .recover(t -> Future.failedFuture(Statuses.of(t)));
  }

  private Future<Image> registerImage(Principal caller, RegisterImageRequest r) {
    return blocking(() -> {
      access.require(caller, Role.ADMIN, TargetKind.IMAGE, r.getId());
      return node.catalog().registerImage(r.getId(), r.getLocation(), r.getBlockSize(), r.getPinBlocks());
    });
  }

  /** The images the caller may read. */
  private Future<ListImagesResponse> listImages(Principal caller, ListImagesRequest r) {
    return blocking(() -> ListImagesResponse.newBuilder().addAllImages(node.catalog().images().stream()
        .filter(i -> access.allows(caller, Role.READER, TargetKind.IMAGE, i.getId())).toList()).build());
  }

  private Future<Disk> registerDisk(Principal caller, RegisterDiskRequest r) {
    return blocking(() -> {
      access.require(caller, Role.ADMIN, TargetKind.DISK, r.getId());
      access.require(caller, Role.ADMIN, TargetKind.IMAGE, r.getImageId());
      return node.catalog().registerDisk(r.getId(), r.getImageId(), r.getMode(), r.getLocation());
    });
  }

  /** The disks the caller may read. */
  private Future<ListDisksResponse> listDisks(Principal caller, ListDisksRequest r) {
    return blocking(() -> ListDisksResponse.newBuilder().addAllDisks(node.catalog().disks().stream()
        .filter(d -> access.allows(caller, Role.READER, TargetKind.DISK, d.getId())).toList()).build());
  }

  private Future<FetchResponse> fetch(Principal caller, FetchRequest r) {
    Context ctx = vertx.getOrCreateContext();
    long started = System.nanoTime();
    CompletableFuture<FetchResponse> out = CompletableFuture
        .supplyAsync(() -> fetches.validate(caller, r), node.workers())
        .thenCompose(req -> node.reader().read(req)
            .thenApply(res -> FetchRequests.detached(r.getId(), res, req.image().getBlockSize())))
        .whenComplete((res, err) -> {
          node.metrics().fetchLatency.observeSince(started);
          node.metrics().fetches.mark();
        });
    return Future.fromCompletionStage(out, ctx).recover(t -> {
      node.metrics().fetchErrors.inc();
      return Future.failedFuture(Statuses.of(t));
    });
  }

  private Future<BootSession> startBoot(Principal caller, StartBootRequest r) {
    return blocking(() -> switch (r.getTargetCase()) {
      case IMAGE_ID -> {
        access.require(caller, Role.HOST, TargetKind.IMAGE, r.getImageId());
        Image image = node.catalog().image(r.getImageId());
        node.prefetcher().boot(image);
        yield node.sessions().start(image.getId(), "", image.getSize(), r.getHost());
      }
      case DISK_ID -> {
        access.require(caller, Role.HOST, TargetKind.DISK, r.getDiskId());
        Disk disk = node.catalog().disk(r.getDiskId());
        node.prefetcher().boot(node.catalog().image(disk.getImageId()));
        yield node.sessions().start(disk.getImageId(), disk.getId(), disk.getSize(), r.getHost());
      }
      default -> throw ApiError.invalid("a boot must name an image_id or a disk_id");
    });
  }

  /** A record stream records only into a boot of what the caller may boot (writes: its disk). */
  private void record(GrpcServerRequest<RecordEvent, RecordSummary> call) {
    Principal caller = callerOf(call);
    new RecordStream(recordDeps, vertx.getOrCreateContext(), call, session -> requireBoot(caller, session),
        (res, err) -> {
          if (err == null) call.response().end(res);
          else call.response().fail(Statuses.of(err));
        }).start();
  }

  /** One write into a disk's layer, answered once the layer holds it: only by a principal that may boot the disk. */
  private Future<Disk> recordWrite(Principal caller, RecordWriteRequest r) {
    return blocking(() -> {
      access.require(caller, Role.HOST, TargetKind.DISK, r.getDiskId());
      Disk disk = node.catalog().disk(r.getDiskId());
      Image image = node.catalog().image(disk.getImageId());
      WriteEvent w = r.getWrite();
      node.writes().apply(disk, image, w.getOffset(), w.getData().toByteArray(), w.getSeq());
      return node.catalog().disk(disk.getId());
    });
  }

  /** The caller may boot the session's disk, or its image when it boots no disk. */
  private void requireBoot(Principal caller, BootSession session) {
    if (session.getDiskId().isEmpty()) access.require(caller, Role.HOST, TargetKind.IMAGE, session.getImageId());
    else access.require(caller, Role.HOST, TargetKind.DISK, session.getDiskId());
  }

  private Future<BootSummary> endBoot(Principal caller, EndBootRequest r) {
    return blocking(() -> {
      requireBoot(caller, node.sessions().get(r.getSessionId()));
      BootSession s = node.sessions().end(r.getSessionId());
      Image image = node.catalog().image(s.getImageId());
      BootProfile p = node.profiles().get(image.getId(), image.getBlockSize());
      return BootSummary.newBuilder()
          .setSessionId(s.getId())
          .setDurationMs(s.getEndedAtMs() - s.getStartedAtMs())
          .setBlocksRead(s.getBlocksRead())
          .setBoots(p.getBoots())
          .setWorkingSetBlocks(p.getBlocksCount())
          .build();
    });
  }

  /** A host may mark its own disks stale: its recorder must, when a write it took cannot be delivered. */
  private Future<Disk> markStale(Principal caller, MarkStaleRequest r) {
    return blocking(() -> {
      access.require(caller, Role.HOST, TargetKind.DISK, r.getDiskId());
      return node.catalog().markStale(r.getDiskId(), r.getReason());
    });
  }

  private Future<Disk> resyncDisk(Principal caller, ResyncDiskRequest r) {
    return blocking(() -> {
      access.require(caller, Role.ADMIN, TargetKind.DISK, r.getDiskId());
      return new DiskResync(node).resync(r.getDiskId(), r.getSource());
    });
  }

  private Future<Disk> resetDisk(Principal caller, ResetDiskRequest r) {
    return blocking(() -> {
      access.require(caller, Role.ADMIN, TargetKind.DISK, r.getDiskId());
      return new DiskResync(node).reset(r.getDiskId());
    });
  }

  private Future<WarmResponse> warm(Principal caller, WarmRequest r) {
    return blocking(() -> {
      access.require(caller, Role.ADMIN, TargetKind.IMAGE, r.getImageId());
      long started = System.currentTimeMillis();
      Image image = node.catalog().image(r.getImageId());
      BootProfile profile = node.profiles().get(image.getId(), image.getBlockSize());
      long blocks = 0;
      long bytes = 0;
      long backend = 0;
      List<BootOrder.Run> runs = BootOrder.runs(profile, 0);
      // a window of runs at a time keeps the backend busy in boot order without flooding it
      for (int i = 0; i < runs.size(); i += 16) {
        List<CompletableFuture<ReadResult>> window = new ArrayList<>();
        for (BootOrder.Run run : runs.subList(i, Math.min(runs.size(), i + 16))) {
          window.add(node.reader().read(readOf(image, null, run)));
        }
        for (CompletableFuture<ReadResult> f : window) {
          ReadResult res = f.join();
          blocks += res.blocks().length;
          for (Block b : res.blocks()) bytes += b.length();
          backend += res.misses();
          res.release();
        }
      }
      return WarmResponse.newBuilder().setImageId(image.getId()).setBlocks(blocks).setBytes(bytes)
          .setBackendBlocks(backend).setDurationMs(System.currentTimeMillis() - started).build();
    });
  }

  /** A chunk of an image's block manifest: a read of the image. */
  private Future<BlockManifestChunk> getBlockManifest(Principal caller, GetBlockManifestRequest r) {
    return blocking(() -> {
      access.require(caller, Role.READER, TargetKind.IMAGE, r.getImageId());
      return node.catalog().manifestChunk(r.getImageId(), r.getFirstBlock());
    });
  }

  /** Prefetch streams the target's blocks: a read of it. */
  private void prefetch(GrpcServerRequest<PrefetchRequest, FetchResponse> call) {
    Principal caller = callerOf(call);
    call.handler(r -> {
      try {
        switch (r.getTargetCase()) {
          case IMAGE_ID -> access.require(caller, Role.READER, TargetKind.IMAGE, r.getImageId());
          case DISK_ID -> access.require(caller, Role.READER, TargetKind.DISK, r.getDiskId());
          default -> { } // the stream says what is wrong
        }
      } catch (ApiError denied) {
        call.response().fail(Statuses.of(denied));
        return;
      }
      new PrefetchStream(node, vertx.getOrCreateContext(), r, call.response()).start();
    });
  }

  private Future<BootProfile> getProfile(Principal caller, GetProfileRequest r) {
    return blocking(() -> {
      access.require(caller, Role.READER, TargetKind.IMAGE, r.getImageId());
      Image image = node.catalog().image(r.getImageId());
      return node.profiles().get(image.getId(), image.getBlockSize());
    });
  }

  /** The node's counters, for any principal with a grant; the working sets of the images it may read. */
  private Future<Stats> getStats(Principal caller, GetStatsRequest r) {
    return blocking(() -> {
      access.requireKnown(caller);
      return stats(id -> access.allows(caller, Role.READER, TargetKind.IMAGE, id));
    });
  }

  /** This node's counters, the cluster's usage, and each image's working set. */
  public Stats stats() {
    return stats(id -> true);
  }

  private Stats stats(Predicate<String> shownImages) {
    var m = node.metrics();
    ClusterUsage usage = ClusterUsage.of(node.ignite());
    Stats.Builder s = Stats.newBuilder()
        .setNodeId(node.config().nodeName())
        .setClusterNodes(node.ignite().cluster().forServers().nodes().size())
        .setFetches(m.fetches.getCount())
        .setBlockHits(m.blockHits.getCount())
        .setBlockMisses(m.blockMisses.getCount())
        .setBackendReads(m.backendReads.getCount())
        .setBackendBytes(m.backendBytes.getCount())
        .setSingleFlightWaits(m.singleFlightWaits.getCount())
        .setAdmittedBlocks(m.admittedBlocks.getCount())
        .setCachedBlocks(usage.cachedBlocks())
        .setCachedBytes(usage.cachedBytes())
        .setRegionUsedBytes(usage.regionUsedBytes())
        .setRegionMaxBytes(usage.regionMaxBytes())
        .setEvictions(usage.evictions());
    for (Image image : node.catalog().images()) {
      if (!shownImages.test(image.getId())) continue;
      BootProfile p = node.profiles().get(image.getId(), image.getBlockSize());
      s.addImages(ImageStats.newBuilder().setImageId(image.getId()).setBoots(p.getBoots())
          .setWorkingSetBlocks(p.getBlocksCount())
          .setWorkingSetBytes(Math.min((long) p.getBlocksCount() * image.getBlockSize(), image.getSize())));
    }
    return s.build();
  }

  static ReadRequest readOf(Image image, Disk disk, BootOrder.Run run) {
    long offset = run.firstBlock() * image.getBlockSize();
    long length = Math.min((long) run.blocks() * image.getBlockSize(), image.getSize() - offset);
    return new ReadRequest(image, disk, offset, length, ReadRequest.Admission.BOOT);
  }
}
