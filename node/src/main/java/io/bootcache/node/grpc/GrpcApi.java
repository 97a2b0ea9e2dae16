package io.bootcache.node.grpc;

import io.bootcache.node.ApiError;
import io.bootcache.node.ClusterUsage;
import io.bootcache.node.NodeServices;
import io.bootcache.node.read.Block;
import io.bootcache.node.read.BootOrder;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadResult;
import io.bootcache.node.record.RecordStream;
import io.bootcache.v1.*;
import io.vertx.core.Completable;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** The BootCache gRPC service of one node: checks each call and hands it to the node's parts. */
public final class GrpcApi extends BootCacheGrpcService {
  private final Vertx vertx;
  private final NodeServices node;
  private final FetchRequests fetches;
  private final RecordStream.Deps recordDeps;

  public GrpcApi(Vertx vertx, NodeServices node) {
    this.vertx = vertx;
    this.node = node;
    this.fetches = new FetchRequests(node);
    this.recordDeps = new RecordStream.Deps(node.catalog(), node.sessions(), node.profiles(), node.writes(), node.maps(),
        node.cluster(), node.metrics(), node.config().trustRecordedReads(), node.workers());
  }

  /** Runs cluster calls on a worker, never on the event loop; maps failures to statuses. */
  private <T> Future<T> blocking(Supplier<T> work) {
    Context ctx = vertx.getOrCreateContext();
    return Future.fromCompletionStage(CompletableFuture.supplyAsync(work, node.workers()), ctx)
        .recover(t -> Future.failedFuture(Statuses.of(t)));
  }

  @Override
  public Future<Image> registerImage(RegisterImageRequest r) {
    return blocking(() -> node.catalog().registerImage(r.getId(), r.getLocation(), r.getBlockSize()));
  }

  @Override
  public Future<ListImagesResponse> listImages(ListImagesRequest r) {
    return blocking(() -> ListImagesResponse.newBuilder().addAllImages(node.catalog().images()).build());
  }

  @Override
  public Future<Disk> registerDisk(RegisterDiskRequest r) {
    return blocking(() -> node.catalog().registerDisk(r.getId(), r.getImageId(), r.getMode(), r.getLocation()));
  }

  @Override
  public Future<ListDisksResponse> listDisks(ListDisksRequest r) {
    return blocking(() -> ListDisksResponse.newBuilder().addAllDisks(node.catalog().disks()).build());
  }

  @Override
  public Future<FetchResponse> fetch(FetchRequest r) {
    Context ctx = vertx.getOrCreateContext();
    var timer = node.metrics().fetchLatency.time();
    CompletableFuture<FetchResponse> out = CompletableFuture
        .supplyAsync(() -> fetches.validate(r), node.workers())
        .thenCompose(req -> node.reader().read(req)
            .thenApply(res -> FetchRequests.detached(r.getId(), res, req.image().getBlockSize())))
        .whenComplete((res, err) -> {
          timer.stop();
          node.metrics().fetches.mark();
        });
    return Future.fromCompletionStage(out, ctx).recover(t -> {
      node.metrics().fetchErrors.inc();
      return Future.failedFuture(Statuses.of(t));
    });
  }

  @Override
  protected void fetchStream(ReadStream<FetchRequest> request, WriteStream<FetchResponse> response) {
    new FetchStreamHandler(node, vertx.getOrCreateContext(), (GrpcServerRequest<FetchRequest, FetchResponse>) request,
        (GrpcServerResponse<FetchRequest, FetchResponse>) response).start();
  }

  @Override
  public Future<BootSession> startBoot(StartBootRequest r) {
    return blocking(() -> switch (r.getTargetCase()) {
      case IMAGE_ID -> {
        Image image = node.catalog().image(r.getImageId());
        node.prefetcher().boot(image);
        yield node.sessions().start(image.getId(), "", image.getSize(), r.getHost());
      }
      case DISK_ID -> {
        Disk disk = node.catalog().disk(r.getDiskId());
        node.prefetcher().boot(node.catalog().image(disk.getImageId()));
        yield node.sessions().start(disk.getImageId(), disk.getId(), disk.getSize(), r.getHost());
      }
      default -> throw ApiError.invalid("a boot must name an image_id or a disk_id");
    });
  }

  @Override
  protected void record(ReadStream<RecordEvent> request, Completable<RecordSummary> response) {
    new RecordStream(recordDeps, vertx.getOrCreateContext(), request, (res, err) ->
        response.complete(res, err == null ? null : Statuses.of(err))).start();
  }

  @Override
  public Future<Disk> recordWrite(RecordWriteRequest r) {
    return blocking(() -> {
      Disk disk = node.catalog().disk(r.getDiskId());
      Image image = node.catalog().image(disk.getImageId());
      WriteEvent w = r.getWrite();
      node.writes().apply(disk, image, w.getOffset(), w.getData().toByteArray(), w.getSeq());
      return node.catalog().disk(disk.getId());
    });
  }

  @Override
  public Future<BootSummary> endBoot(EndBootRequest r) {
    return blocking(() -> {
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

  @Override
  public Future<Disk> markStale(MarkStaleRequest r) {
    return blocking(() -> node.catalog().markStale(r.getDiskId(), r.getReason()));
  }

  @Override
  public Future<Disk> resyncDisk(ResyncDiskRequest r) {
    return blocking(() -> new DiskResync(node).resync(r.getDiskId(), r.getSource()));
  }

  @Override
  public Future<Disk> resetDisk(ResetDiskRequest r) {
    return blocking(() -> new DiskResync(node).reset(r.getDiskId()));
  }

  @Override
  public Future<WarmResponse> warm(WarmRequest r) {
    return blocking(() -> {
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

  @Override
  protected void prefetch(PrefetchRequest r, WriteStream<FetchResponse> response) {
    new PrefetchStream(node, vertx.getOrCreateContext(), r, (GrpcServerResponse<PrefetchRequest, FetchResponse>) response)
        .start();
  }

  @Override
  public Future<BootProfile> getProfile(GetProfileRequest r) {
    return blocking(() -> {
      Image image = node.catalog().image(r.getImageId());
      return node.profiles().get(image.getId(), image.getBlockSize());
    });
  }

  @Override
  public Future<Stats> getStats(GetStatsRequest r) {
    return blocking(this::stats);
  }

  /** This node's counters, the cluster's usage, and each image's working set. */
  public Stats stats() {
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
