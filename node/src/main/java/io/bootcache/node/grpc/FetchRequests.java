package io.bootcache.node.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.bootcache.node.ApiError;
import io.bootcache.node.ClusterNotReady;
import io.bootcache.node.NodeServices;
import io.bootcache.node.access.Access;
import io.bootcache.node.access.Principal;
import io.bootcache.node.access.Role;
import io.bootcache.node.catalog.TargetKind;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.read.Block;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadResult;
import io.bootcache.v1.Disk;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.Image;

/** Checks a FetchRequest against what exists, and turns a read's blocks into a FetchResponse. */
final class FetchRequests {
  private final NodeServices node;
  private final Access access;

  FetchRequests(NodeServices node, Access access) {
    this.node = node;
    this.access = access;
  }

  /** The read the caller asked for: a target it may read, a range inside it. */
  ReadRequest validate(Principal caller, FetchRequest r) {
    Image image;
    Disk disk = null;
    String what;
    switch (r.getTargetCase()) {
      case IMAGE_ID -> {
        access.require(caller, Role.READER, TargetKind.IMAGE, r.getImageId());
        image = node.catalog().image(r.getImageId());
        what = "image " + image.getId();
      }
      case DISK_ID -> {
        access.require(caller, Role.READER, TargetKind.DISK, r.getDiskId());
        ClusterNotReady.requireActive(node.ignite()); // a disk's record is always asked of the cluster
        disk = node.catalog().disk(r.getDiskId());
        image = node.catalog().image(disk.getImageId());
        what = "disk " + disk.getId();
      }
      default -> throw ApiError.invalid("a fetch must name an image_id or a disk_id");
    }
    ApiError bad = rangeError(r.getOffset(), r.getLength(), image.getSize(), what);
    if (bad != null) throw bad;
    boolean admit = node.sessions().admits(r.getSessionId());
    return new ReadRequest(image, disk, r.getOffset(), r.getLength(), ReadRequest.Admission.of(admit));
  }

  /** What is wrong with the range, or null: offset and length inside the target and under the request cap. */
  private ApiError rangeError(long offset, long length, long size, String what) {
    long cap = node.config().maxRequestBytes();
    if (offset < 0) return ApiError.invalid("offset " + offset + " is negative");
    if (length <= 0) return ApiError.invalid("length " + length + " must be positive");
    if (length > cap) return ApiError.invalid("length " + length + " is over the request cap of " + cap + " bytes: split the read");
    if (offset >= size) return ApiError.outOfRange("offset " + offset + " is past the end of " + what + " (" + size + " bytes)");
    if (length > size - offset) {
      return ApiError.outOfRange("range " + offset + "+" + length + " ends past the end of " + what + " (" + size + " bytes)");
    }
    return null;
  }

  /**
   * The request checked from what this node knows already, or null where that is not enough
   * (a disk, an image or session it has not seen): then {@link #validate} on a worker decides.
   */
  ReadRequest validateLocally(Principal caller, FetchRequest r) {
    if (r.getTargetCase() != FetchRequest.TargetCase.IMAGE_ID) return null;
    if (!access.allows(caller, Role.READER, TargetKind.IMAGE, r.getImageId())) return null;
    Image image = node.catalog().knownImage(r.getImageId());
    Boolean admit = node.sessions().admitsIfKnown(r.getSessionId());
    if (image == null || admit == null) return null;
    if (rangeError(r.getOffset(), r.getLength(), image.getSize(), "") != null) return null; // the worker path says what
    return new ReadRequest(image, null, r.getOffset(), r.getLength(), ReadRequest.Admission.of(admit));
  }

  /**
   * The read's blocks as an answer: the blocks whole, and their hashes. The data wraps the blocks'
   * memory (host tier memory among it), so the answer must be written before the read is released.
   */
  static FetchResponse response(long id, ReadResult r, int blockSize) {
    Block[] blocks = r.blocks();
    ByteString data = ByteString.empty();
    byte[] hashes = new byte[blocks.length * BlockHash.BYTES];
    for (int i = 0; i < blocks.length; i++) {
      data = data.concat(UnsafeByteOperations.unsafeWrap(blocks[i].bytes()));
      blocks[i].hash().writeTo(hashes, i * BlockHash.BYTES);
    }
    return FetchResponse.newBuilder()
        .setId(id)
        .setOffset(r.firstBlock() * blockSize)
        .setData(data)
        .setBlockSize(blockSize)
        .setHashes(UnsafeByteOperations.unsafeWrap(hashes))
        .setHits(r.hits())
        .setMisses(r.misses())
        .build();
  }

  /** The read's answer with its own copy of the bytes, for answers written later; the read is released. */
  static FetchResponse detached(long id, ReadResult r, int blockSize) {
    try {
      FetchResponse wrapped = response(id, r, blockSize);
      return wrapped.toBuilder().setData(ByteString.copyFrom(wrapped.getData().asReadOnlyByteBuffer())).build();
    } finally {
      r.release();
    }
  }

  static FetchResponse error(long id, Throwable t) {
    var status = Statuses.of(t);
    return FetchResponse.newBuilder().setId(id).setErrorCode(status.status().code)
        .setErrorMessage(status.message() == null ? status.status().name() : status.message()).build();
  }
}
