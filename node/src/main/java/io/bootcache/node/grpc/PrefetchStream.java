package io.bootcache.node.grpc;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeServices;
import io.bootcache.node.read.BootOrder;
import io.bootcache.node.read.ReadResult;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.Disk;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.Image;
import io.bootcache.v1.PrefetchRequest;
import io.vertx.core.Context;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Streams an image's boot blocks (through a disk's layer, for a disk) in boot order, a window of
 * runs at a time, as fast as the caller takes them. Each answer's id is its position in the stream.
 */
final class PrefetchStream {
  private static final int WINDOW = 8;

  private final NodeServices node;
  private final Context context;
  private final PrefetchRequest request;
  private final GrpcServerResponse<PrefetchRequest, FetchResponse> out;
  private Image image;
  private Disk disk;
  private List<BootOrder.Run> runs;
  private int next;
  private boolean closed;

  PrefetchStream(NodeServices node, Context context, PrefetchRequest request,
      GrpcServerResponse<PrefetchRequest, FetchResponse> out) {
    this.node = node;
    this.context = context;
    this.request = request;
    this.out = out;
  }

  void start() {
    out.exceptionHandler(t -> closed = true);
    node.workers().execute(() -> {
      try {
        switch (request.getTargetCase()) {
          case IMAGE_ID -> image = node.catalog().image(request.getImageId());
          case DISK_ID -> {
            disk = node.catalog().disk(request.getDiskId());
            image = node.catalog().image(disk.getImageId());
          }
          default -> throw ApiError.invalid("a prefetch must name an image_id or a disk_id");
        }
        if (request.getMaxBytes() < 0) throw ApiError.invalid("max_bytes " + request.getMaxBytes() + " is negative");
        BootProfile profile = node.profiles().get(image.getId(), image.getBlockSize());
        runs = BootOrder.runs(profile, request.getMaxBytes());
        context.runOnContext(v -> sendWindow());
      } catch (RuntimeException e) {
        context.runOnContext(v -> out.fail(Statuses.of(e)));
      }
    });
  }

  private void sendWindow() {
    if (closed) return;
    if (next >= runs.size()) {
      out.end();
      return;
    }
    if (out.writeQueueFull()) {
      out.drainHandler(v -> sendWindow());
      return;
    }
    int from = next;
    int to = Math.min(runs.size(), next + WINDOW);
    next = to;
    node.workers().execute(() -> {
      List<CompletableFuture<ReadResult>> results = new ArrayList<>();
      for (BootOrder.Run run : runs.subList(from, to)) results.add(node.reader().read(GrpcApi.readOf(image, disk, run)));
      List<FetchResponse> answers = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        try {
          answers.add(FetchRequests.detached(from + i, results.get(i).join(), image.getBlockSize()));
        } catch (RuntimeException e) {
          answers.add(FetchRequests.error(from + i, e));
        }
      }
      context.runOnContext(v -> {
        if (closed) return;
        answers.forEach(out::write);
        sendWindow();
      });
    });
  }
}
