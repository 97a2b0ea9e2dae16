package io.bootcache.node;

import java.time.Duration;

/**
 * What bounds a node's memory whatever its clients do: answer bytes queued per FetchStream, over
 * all FetchStreams, and per NBD connection (past them the node stops reading that client), NBD
 * reads in flight per connection, NBD connections, one deadline for an NBD handshake; how many
 * images, disks and boot sessions the cluster keeps, refused before the metadata region fills; and
 * gRPC connections open at once.
 */
public record Limits(long fetchQueueBytes, long fetchQueueTotalBytes, long nbdQueueBytes, int nbdMaxRequests,
    int nbdMaxConnections, Duration nbdHandshakeTimeout, int maxImages, int maxDisks, int maxSessions,
    int grpcMaxConnections) {
  public static final Limits DEFAULT =
      new Limits(64L << 20, 256L << 20, 64L << 20, 512, 256, Duration.ofSeconds(10), 4096, 65536, 65536, 4096);

  public Limits {
    atLeast(fetchQueueBytes, 64 * 1024, "fetch queue");
    atLeast(fetchQueueTotalBytes, fetchQueueBytes, "fetch queue total (at least the fetch queue of one stream)");
    atLeast(nbdQueueBytes, 64 * 1024, "NBD queue");
    atLeast(nbdMaxRequests, 1, "NBD max requests");
    atLeast(nbdMaxConnections, 1, "NBD max connections");
    if (nbdHandshakeTimeout.isNegative() || nbdHandshakeTimeout.isZero()) {
      throw new IllegalArgumentException("NBD handshake timeout must be positive, got " + nbdHandshakeTimeout);
    }
    atLeast(maxImages, 1, "max images");
    atLeast(maxDisks, 1, "max disks");
    atLeast(maxSessions, 1, "max sessions");
    atLeast(grpcMaxConnections, 1, "gRPC max connections");
  }

  private static void atLeast(long v, long min, String name) {
    if (v < min) throw new IllegalArgumentException(name + " must be at least " + min + ", got " + v);
  }

  @Override
  public String toString() {
    return "fetchQueue=" + fetchQueueBytes / 1024 + "KiB (total " + fetchQueueTotalBytes / 1024 + "KiB), nbdQueue="
        + nbdQueueBytes / 1024 + "KiB, nbdMaxRequests=" + nbdMaxRequests + ", nbdMaxConnections=" + nbdMaxConnections
        + ", nbdHandshakeTimeout=" + nbdHandshakeTimeout
        + ", maxImages=" + maxImages + ", maxDisks=" + maxDisks + ", maxSessions=" + maxSessions
        + ", grpcMaxConnections=" + grpcMaxConnections;
  }
}
