package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.statusOf;
import static io.bootcache.node.RecordEvents.readDisk;
import static io.bootcache.node.RecordEvents.record;
import static io.bootcache.node.RecordEvents.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.GrpcTestClient.Refusal;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.ListImagesRequest;
import io.bootcache.v1.MarkStaleRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.ResetDiskRequest;
import io.bootcache.v1.ResyncDiskRequest;
import io.bootcache.v1.StartBootRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk is served its image plus its own writes, or an error: never another target's bytes. The
 * three ways this broke, each driven on the wire as any gRPC client would.
 */
class OwnBytesTest {
  static final int SIZE = 256 * 1024;
  @TempDir static Path dir;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node;
  static Path goldenFile;
  static Path otherFile;
  static byte[] golden;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    client = new GrpcTestClient();
    node = client.to(cluster.grpcAddresses().get(0));
    goldenFile = TestFiles.random(dir, "golden.raw", SIZE, 1);
    otherFile = TestFiles.random(dir, "other.raw", SIZE, 2);
    golden = Files.readAllBytes(goldenFile);
    registerImage("golden", goldenFile);
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  @Test
  void anImageCannotTakeADisksIdNorADiskAnImagesId() {
    registerDisk("vm7", CloneMode.LINKED);
    Refusal refused = client.refusal(address(), BootCacheGrpcClient.RegisterImage, RegisterImageRequest.newBuilder()
        .setId("vm7").setLocation(otherFile.toString()).build());
    assertEquals(GrpcStatus.ALREADY_EXISTS, refused.status());
    assertTrue(refused.message().contains("disk vm7"), refused.message());

    refused = client.refusal(address(), BootCacheGrpcClient.RegisterDisk, RegisterDiskRequest.newBuilder()
        .setId("golden").setImageId("golden").setMode(CloneMode.LINKED).build());
    assertEquals(GrpcStatus.ALREADY_EXISTS, refused.status());
    assertTrue(refused.message().contains("image golden"), refused.message());

    assertTrue(await(node.listImages(ListImagesRequest.getDefaultInstance())).getImagesList().stream()
        .noneMatch(i -> i.getId().equals("vm7")), "the refused image was not registered");
    assertTrue(await(node.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList().stream()
        .noneMatch(d -> d.getId().equals("golden")), "the refused disk was not registered");
    // registering the same thing again is still harmless
    registerDisk("vm7", CloneMode.LINKED);
    registerImage("golden", goldenFile);
  }

  @Test
  void aStaleLinkedCloneIsRefusedNotServedItsImage() throws Exception {
    registerDisk("d1", CloneMode.LINKED);
    byte[] marker = new byte[4096];
    Arrays.fill(marker, (byte) 0x5a);
    String s = await(node.startBoot(StartBootRequest.newBuilder().setDiskId("d1").build())).getId();
    await(record(node, List.of(write(s, 0, marker))));
    assertArrayEquals(marker, readDisk(node, "d1", 0, 4096));

    await(node.markStale(MarkStaleRequest.newBuilder().setDiskId("d1").setReason("test: a write was lost").build()));
    Refusal refused = client.refusal(address(), BootCacheGrpcClient.Fetch,
        FetchRequest.newBuilder().setDiskId("d1").setOffset(0).setLength(4096).build());
    assertEquals(GrpcStatus.FAILED_PRECONDITION, refused.status());
    assertTrue(refused.message().contains("resync d1 --from"), "the refusal says what brings it back: " + refused.message());

    // what brings it back: the disk's content from the hypervisor's overlay, as a raw file
    byte[] content = golden.clone();
    System.arraycopy(marker, 0, content, 0, marker.length);
    content[SIZE - 1] ^= 1; // a write the layer never saw
    Path raw = dir.resolve("d1.raw");
    Files.write(raw, content);
    Disk resynced = await(node.resyncDisk(ResyncDiskRequest.newBuilder().setDiskId("d1").setSource(raw.toString()).build()));
    assertEquals(DiskState.ACTIVE, resynced.getState());
    assertArrayEquals(content, readDisk(node, "d1", 0, SIZE));

    // or its writes are declared lost: it reads as its image again
    await(node.markStale(MarkStaleRequest.newBuilder().setDiskId("d1").setReason("test: lost again").build()));
    Disk reset = await(node.resetDisk(ResetDiskRequest.newBuilder().setDiskId("d1").build()));
    assertEquals(DiskState.ACTIVE, reset.getState());
    assertEquals(resynced.getGeneration() + 1, reset.getGeneration());
    assertArrayEquals(golden, readDisk(node, "d1", 0, SIZE));
  }

  @Test
  void aFullCloneIsNotResetButResyncedFromItsFile() throws Exception {
    Path own = dir.resolve("full1.raw");
    Files.write(own, golden);
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("full1").setImageId("golden").setMode(CloneMode.FULL)
        .setLocation(own.toString()).build()));
    assertEquals(GrpcStatus.FAILED_PRECONDITION, statusOf(node.resetDisk(ResetDiskRequest.newBuilder().setDiskId("full1").build())));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.resyncDisk(ResyncDiskRequest.newBuilder().setDiskId("full1")
        .setSource(dir.resolve("no-such.raw").toString()).build())));
  }

  @Test
  void aRefusedRecordEventLeavesTheDiskAsItWas() {
    registerDisk("d3", CloneMode.LINKED);
    byte[] marker = new byte[4096];
    Arrays.fill(marker, (byte) 0x33);
    String s = await(node.startBoot(StartBootRequest.newBuilder().setDiskId("d3").build())).getId();
    await(record(node, List.of(write(s, 8192, marker))));

    assertEquals(GrpcStatus.OUT_OF_RANGE, statusOf(record(node, List.of(write(s, SIZE - 10, new byte[20])))));
    assertEquals(GrpcStatus.NOT_FOUND, statusOf(record(node, List.of(write("s-no-such-session", 0, marker)))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(record(node, List.of(write(s, 0, marker),
        write("s-another-session", 0, marker)))));

    Disk d3 = disk("d3");
    assertEquals(DiskState.ACTIVE, d3.getState(), d3.getStaleReason());
    assertArrayEquals(marker, readDisk(node, "d3", 8192, 4096), "the layer still serves the disk's write");
  }

  static void registerImage(String id, Path file) {
    await(node.registerImage(RegisterImageRequest.newBuilder().setId(id).setLocation(file.toString()).build()));
  }

  static void registerDisk(String id, CloneMode mode) {
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId(id).setImageId("golden").setMode(mode).build()));
  }

  static Disk disk(String id) {
    return await(node.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList().stream()
        .filter(d -> d.getId().equals(id)).findFirst().orElseThrow();
  }

  static String address() {
    return cluster.grpcAddresses().get(0);
  }



}
