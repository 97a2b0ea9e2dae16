package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.MarkStaleRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registrations and sessions are capped before the metadata region fills: past --max-images,
 * --max-disks and --max-sessions the node answers RESOURCE_EXHAUSTED naming the flag; what is
 * registered already may be registered again; stale reasons are cut to 1024 characters.
 */
class NodeLimitsTest {
  @TempDir static Path dir;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node;
  static String address;
  static Path file;

  @BeforeAll
  static void start() throws Exception {
    Limits limits = new Limits(64L << 20, 256L << 20, 64L << 20, 512, 256, Duration.ofSeconds(10), 3, 2, 4, 4096);
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).configure(b -> b.limits(limits)).start();
    client = new GrpcTestClient();
    address = cluster.grpcAddresses().get(0);
    node = client.to(address);
    file = TestFiles.random(dir, "golden.raw", 1 << 20, 6);
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  static RegisterImageRequest image(String id) {
    return RegisterImageRequest.newBuilder().setId(id).setLocation(file.toString()).build();
  }

  @Test
  void imagesPastTheCapAreRefusedAndKnownOnesRegisterAgain() {
    for (int i = 0; i < 3; i++) await(node.registerImage(image("img-" + i)));
    GrpcTestClient.Refusal refused = client.refusal(address, BootCacheGrpcClient.RegisterImage, image("img-3"));
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, refused.status(), refused.message());
    assertTrue(refused.message().contains("3 images") && refused.message().contains("--max-images"), refused.message());
    assertEquals("img-1", await(node.registerImage(image("img-1"))).getId(), "registering again is not a new image");
  }

  @Test
  void disksPastTheCapAreRefused() {
    await(node.registerImage(image("img-0")));
    for (int i = 0; i < 2; i++) {
      await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("disk-" + i).setImageId("img-0")
          .setMode(CloneMode.LINKED).build()));
    }
    GrpcTestClient.Refusal refused = client.refusal(address, BootCacheGrpcClient.RegisterDisk,
        RegisterDiskRequest.newBuilder().setId("disk-2").setImageId("img-0").setMode(CloneMode.LINKED).build());
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, refused.status(), refused.message());
    assertTrue(refused.message().contains("--max-disks"), refused.message());
  }

  @Test
  void sessionsPastTheCapAreRefusedAndLongHostNamesToo() {
    await(node.registerImage(image("img-0")));
    GrpcTestClient.Refusal longHost = client.refusal(address, BootCacheGrpcClient.StartBoot,
        StartBootRequest.newBuilder().setImageId("img-0").setHost("h".repeat(100_000)).build());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, longHost.status(), longHost.message());
    for (int i = 0; i < 4; i++) await(node.startBoot(StartBootRequest.newBuilder().setImageId("img-0").build()));
    GrpcTestClient.Refusal refused = client.refusal(address, BootCacheGrpcClient.StartBoot,
        StartBootRequest.newBuilder().setImageId("img-0").build());
    assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, refused.status(), refused.message());
    assertTrue(refused.message().contains("--max-sessions"), refused.message());
  }

  @Test
  void aStaleReasonIsCutTo1024Characters() {
    await(node.registerImage(image("img-0")));
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("disk-0").setImageId("img-0").setMode(CloneMode.LINKED).build()));
    Disk stale = await(node.markStale(MarkStaleRequest.newBuilder().setDiskId("disk-0").setReason("r".repeat(1_000_000)).build()));
    assertEquals(1024, stale.getStaleReason().length());
    assertTrue(stale.getStaleReason().endsWith("\u2026"), "cut, and says so");
  }
}
