package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.GetStatsRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.Stats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 4: the blocks region never grows past its cap; filling past it keeps the node up and the bytes right. */
class EvictionTest {
  @TempDir Path dir;

  @Test
  void fillingThreeTimesPastTheCapEvictsAndStillServesTheRightBytes() throws Exception {
    long cap = 16 * NodeConfig.MIB;
    int size = 48 << 20;
    Path file = TestFiles.random(dir, "big.raw", size, 9);
    byte[] content = Files.readAllBytes(file);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir)
            .configure(b -> b.blocksRegionBytes(cap).hostTierBytes(0)).start(); // the region alone
         GrpcTestClient t = new GrpcTestClient()) {
      BootCacheGrpcClient node = t.to(cluster.grpcAddresses().get(0));
      await(node.registerImage(RegisterImageRequest.newBuilder().setId("big").setLocation(file.toString()).build()));
      String session = await(node.startBoot(StartBootRequest.newBuilder().setImageId("big").build())).getId();
      int chunk = 1 << 20;
      for (int pass = 0; pass < 1; pass++) {
        for (int off = 0; off < size; off += chunk) {
          var r = await(node.fetch(image("big", off, chunk).toBuilder().setSessionId(session).build()));
          assertArrayEquals(Arrays.copyOfRange(content, off, off + chunk), verifiedRange(r, off, chunk), "pass " + pass + " at " + off);
        }
      }
      Random rnd = new Random(1);
      for (int i = 0; i < 300; i++) {
        int off = rnd.nextInt(size - 20000);
        int len = 1 + rnd.nextInt(20000);
        var r = await(node.fetch(image("big", off, len).toBuilder().setSessionId(session).build()));
        assertArrayEquals(Arrays.copyOfRange(content, off, off + len), verifiedRange(r, off, len));
      }
      Stats s = await(node.getStats(GetStatsRequest.getDefaultInstance()));
      assertTrue(s.getRegionUsedBytes() <= cap, "region used " + s.getRegionUsedBytes() + " > cap " + cap);
      assertTrue(s.getCachedBytes() < cap, "cached " + s.getCachedBytes());
      assertTrue(s.getCachedBytes() > cap / 4, "the region still holds blocks: " + s.getCachedBytes());
      assertTrue(s.getEvictions() > 0, "blocks were evicted");
    }
  }
}
