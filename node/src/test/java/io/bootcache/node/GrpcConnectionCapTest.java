package io.bootcache.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.GetStatsRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gRPC connections past --grpc-max-connections are closed; one that closes makes room again. */
class GrpcConnectionCapTest {
  @TempDir
  Path dir;

  @Test
  void connectionsPastTheCapAreClosedAndRoomComesBack() throws Exception {
    Limits two = new Limits(64L << 20, 256L << 20, 64L << 20, 512, 256, Duration.ofSeconds(10), 4096, 65536, 65536, 2);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).configure(c -> c.limits(two)).start();
         GrpcTestClient a = new GrpcTestClient();
         GrpcTestClient b = new GrpcTestClient();
         GrpcTestClient c = new GrpcTestClient()) {
      String address = cluster.node(0).grpcAddress();
      // each client is a connection of its own, kept open between calls
      GrpcTestClient.await(a.to(address).getStats(GetStatsRequest.getDefaultInstance()));
      GrpcTestClient.await(b.to(address).getStats(GetStatsRequest.getDefaultInstance()));
      assertThrows(RuntimeException.class, () -> GrpcTestClient.await(c.to(address).getStats(GetStatsRequest.getDefaultInstance())),
          "a third connection is closed");
      GrpcTestClient.await(a.to(address).getStats(GetStatsRequest.getDefaultInstance())); // the first two still serve

      b.close();
      boolean served = false;
      for (int i = 0; i < 50 && !served; i++) {
        try {
          GrpcTestClient.await(c.to(address).getStats(GetStatsRequest.getDefaultInstance()));
          served = true;
        } catch (RuntimeException closedYet) {
          Thread.sleep(100);
        }
      }
      assertTrue(served, "once a connection closed, a new one is served");
    }
  }
}
