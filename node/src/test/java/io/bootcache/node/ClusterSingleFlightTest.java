package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.GetStatsRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.Stats;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 3: N concurrent misses of a block anywhere in the cluster cause one backend read. */
class ClusterSingleFlightTest {
  @TempDir Path dir;

  @Test
  void fiftyClientsOnTwoNodesMissingTheSameBlocksReadTheBackendOncePerBlock() throws Exception {
    int clients = 50;
    int size = 2 << 20; // 512 blocks
    int chunk = 128 * 1024;
    Path file = TestFiles.random(dir, "storm.raw", size, 5);
    byte[] content = Files.readAllBytes(file);
    // a slow backend keeps every miss in flight while the others arrive
    try (LocalCluster cluster = LocalCluster.builder().nodes(2).dataDir(dir)
            .configure(b -> b.backendLatency(java.time.Duration.ofMillis(100))).start();
         GrpcTestClient t = new GrpcTestClient()) {
      BootCacheGrpcClient first = t.to(cluster.grpcAddresses().get(0));
      await(first.registerImage(RegisterImageRequest.newBuilder().setId("golden").setLocation(file.toString()).build()));
      String session = await(first.startBoot(StartBootRequest.newBuilder().setImageId("golden").build())).getId();

      // each client its own connection, alternating between the nodes, all connected before any
      // read is sent, so that the misses really arrive together
      List<GrpcClient> connections = new ArrayList<>();
      List<BootCacheGrpcClient> nodes = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        GrpcClient conn = GrpcClient.client(t.vertx, new GrpcClientOptions().setMaxMessageSize(8 << 20));
        connections.add(conn);
        String[] hp = cluster.grpcAddresses().get(c % 2).split(":");
        BootCacheGrpcClient node = BootCacheGrpcClient.create(conn, SocketAddress.inetSocketAddress(Integer.parseInt(hp[1]), hp[0]));
        await(node.listImages(io.bootcache.v1.ListImagesRequest.getDefaultInstance()));
        nodes.add(node);
      }
      List<Future<FetchResponse>> all = new ArrayList<>();
      for (BootCacheGrpcClient node : nodes) {
        for (int off = 0; off < size; off += chunk) {
          all.add(node.fetch(image("golden", off, chunk).toBuilder().setSessionId(session).build()));
        }
      }
      for (int i = 0; i < all.size(); i++) {
        int off = (i % (size / chunk)) * chunk;
        assertArrayEquals(Arrays.copyOfRange(content, off, off + chunk), verifiedRange(await(all.get(i)), off, chunk));
      }
      long backendBytes = 0;
      long backendReads = 0;
      long waits = 0;
      for (String address : cluster.grpcAddresses()) {
        Stats s = await(t.to(address).getStats(GetStatsRequest.getDefaultInstance()));
        backendBytes += s.getBackendBytes();
        backendReads += s.getBackendReads();
        waits += s.getSingleFlightWaits();
      }
      assertEquals(size, backendBytes, "every byte of the image read from the backend exactly once");
      assertTrue(backendReads <= size / 4096, backendReads + " backend reads for " + size / 4096 + " blocks");
      assertTrue(waits > 0, "concurrent misses waited for the load in flight");
      for (GrpcClient conn : connections) conn.close();
    }
  }
}
