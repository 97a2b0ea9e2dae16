package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.ListImagesRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a node keeps across a restart, and how it comes back. */
class RestartTest {
  @TempDir
  Path dir;

  static boolean eventually(BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      if (condition.getAsBoolean()) return true;
      Thread.sleep(100);
    }
    return condition.getAsBoolean();
  }

  @Test
  void everyNodeKeepsTheMetadataAndACorruptFileIsSetAsideAtStart() throws Exception {
    Path image = TestFiles.random(dir, "golden.raw", 1 << 20, 3);
    Path data = dir.resolve("data");
    try (LocalCluster cluster = LocalCluster.builder().nodes(2).dataDir(data).start();
         GrpcTestClient t = new GrpcTestClient()) {
      BootCacheGrpcClient node0 = t.to(cluster.grpcAddresses().get(0));
      await(node0.registerImage(RegisterImageRequest.newBuilder().setId("golden").setLocation(image.toString()).build()));
      await(node0.registerDisk(RegisterDiskRequest.newBuilder().setId("vm1").setImageId("golden").setMode(CloneMode.LINKED).build()));
      for (int n = 0; n < 2; n++) {
        Path metadata = data.resolve("node-" + n).resolve("metadata");
        assertTrue(eventually(() -> Files.exists(metadata.resolve("images/golden.pb")) && Files.exists(metadata.resolve("disks/vm1.pb"))),
            "node " + n + " keeps the records, not only the node that registered them");
      }
    }
    // bit rot in one node's copy of the disk record
    Path disk = data.resolve("node-0").resolve("metadata/disks/vm1.pb");
    byte[] bytes = Files.readAllBytes(disk);
    bytes[bytes.length - 2] ^= 0x40;
    Files.write(disk, bytes);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(data).start();
         GrpcTestClient t = new GrpcTestClient()) {
      BootCacheGrpcClient node = t.to(cluster.grpcAddresses().get(0));
      assertEquals(List.of("golden"), await(node.listImages(ListImagesRequest.getDefaultInstance())).getImagesList().stream()
          .map(i -> i.getId()).toList(), "the node started, with what it could read");
      assertTrue(await(node.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList().isEmpty(),
          "the corrupt record is not restored");
      assertTrue(Files.exists(disk.resolveSibling("vm1.pb.corrupt")), "it is set aside for an operator");
    }
  }
}
