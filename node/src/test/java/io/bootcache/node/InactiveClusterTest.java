package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.ListImagesRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import org.apache.ignite.cluster.ClusterState;
import org.apache.ignite.internal.cluster.IgniteClusterEx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node whose cluster was deactivated answers UNAVAILABLE at once, reads included, rather than holding the call. */
class InactiveClusterTest {
  @TempDir
  Path dir;

  @Test
  void callsToAnInactiveClusterAreRefusedAtOnce() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         GrpcTestClient client = new GrpcTestClient()) {
      String address = cluster.node(0).grpcAddress();
      Path file = TestFiles.random(dir, "late.raw", 65536, 1);
      Path early = TestFiles.random(dir, "early.raw", 65536, 2);
      BootCacheGrpcClient node = client.to(address);
      GrpcTestClient.await(node.registerImage(RegisterImageRequest.newBuilder().setId("early").setLocation(early.toString()).build()));
      GrpcTestClient.await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("early-vm").setImageId("early")
          .setMode(CloneMode.LINKED).build()));
      // forced: an in-memory cluster loses its caches' data when deactivated, which is the point here
      ((IgniteClusterEx) cluster.node(0).ignite().cluster()).state(ClusterState.INACTIVE, true);
      long start = System.nanoTime();
      GrpcTestClient.Refusal listed = client.refusal(address, BootCacheGrpcClient.ListImages, ListImagesRequest.getDefaultInstance());
      assertEquals(GrpcStatus.UNAVAILABLE, listed.status(), listed.message());
      assertTrue(listed.message().contains("not active"), listed.message());
      GrpcTestClient.Refusal registered = client.refusal(address, BootCacheGrpcClient.RegisterImage,
          RegisterImageRequest.newBuilder().setId("late").setLocation(file.toString()).build());
      assertEquals(GrpcStatus.UNAVAILABLE, registered.status(), registered.message());
      // reads too: the image's record is known here, its blocks are asked of the cluster
      GrpcTestClient.Refusal read = client.refusal(address, BootCacheGrpcClient.Fetch,
          FetchRequest.newBuilder().setImageId("early").setOffset(0).setLength(4096).build());
      assertEquals(GrpcStatus.UNAVAILABLE, read.status(), read.message());
      GrpcTestClient.Refusal diskRead = client.refusal(address, BootCacheGrpcClient.Fetch,
          FetchRequest.newBuilder().setDiskId("early-vm").setOffset(0).setLength(4096).build());
      assertEquals(GrpcStatus.UNAVAILABLE, diskRead.status(), diskRead.message());
      assertTrue(System.nanoTime() - start < 30_000_000_000L, "refused, not held until a deadline");
    }
  }
}
