package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.statusOf;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static io.bootcache.node.RecordEvents.read;
import static io.bootcache.node.RecordEvents.readDisk;
import static io.bootcache.node.RecordEvents.record;
import static io.bootcache.node.RecordEvents.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.record.FirstTouches;
import io.bootcache.node.record.ProfileStore;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.BootSession;
import io.bootcache.v1.BootSummary;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.EndBootRequest;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.GetProfileRequest;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.PrefetchRequest;
import io.bootcache.v1.ReadEvent;
import io.bootcache.v1.RecordEvent;
import io.bootcache.v1.RecordSummary;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.ResyncDiskRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.WarmRequest;
import io.bootcache.v1.WarmResponse;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record path: writes land in the disk's own layer only; reads build the image's boot profile. */
class RecordTest {
  @TempDir static Path dir;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node;
  static byte[] image;
  static final int SIZE = 1 << 20;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    client = new GrpcTestClient();
    node = client.to(cluster.grpcAddresses().get(0));
    Path f = TestFiles.random(dir, "base.raw", SIZE, 21);
    image = Files.readAllBytes(f);
    await(node.registerImage(RegisterImageRequest.newBuilder().setId("base").setLocation(f.toString()).build()));
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }





  static Disk register(String id, CloneMode mode, String location) {
    return await(node.registerDisk(RegisterDiskRequest.newBuilder().setId(id).setImageId("base").setMode(mode)
        .setLocation(location).build()));
  }

  @Test
  void writesAreVisibleToTheirOwnDiskOnly() {
    register("vm1", CloneMode.LINKED, "");
    register("vm2", CloneMode.LINKED, "");
    String s = await(node.startBoot(StartBootRequest.newBuilder().setDiskId("vm1").setHost("host-a").build())).getId();
    byte[] aligned = new byte[8192];
    Arrays.fill(aligned, (byte) 0xab);
    byte[] unaligned = new byte[5000];
    Arrays.fill(unaligned, (byte) 0xcd);
    RecordSummary summary = await(record(node, List.of(write(s, 8192, aligned), write(s, 20_000, unaligned), write(s, SIZE - 3, new byte[] {1, 2, 3}))));
    assertEquals(3, summary.getWrites());

    byte[] expected = image.clone();
    System.arraycopy(aligned, 0, expected, 8192, aligned.length);
    System.arraycopy(unaligned, 0, expected, 20_000, unaligned.length);
    System.arraycopy(new byte[] {1, 2, 3}, 0, expected, SIZE - 3, 3);
    assertArrayEquals(expected, readDisk(node, "vm1", 0, SIZE));
    assertArrayEquals(Arrays.copyOfRange(expected, 19_999, 25_001), readDisk(node, "vm1", 19_999, 5002));
    assertArrayEquals(image, readDisk(node, "vm2", 0, SIZE), "another disk over the same image does not see them");
    var img = await(node.fetch(FetchRequest.newBuilder().setImageId("base").setOffset(0).setLength(SIZE).build()));
    assertArrayEquals(image, verifiedRange(img, 0, SIZE), "the image does not see them");
  }

  @Test
  void bootsMergeIntoTheImagesProfileInFirstTouchOrder() {
    Path other = dir.resolve("other");
    List<BootSummary> summaries = new ArrayList<>();
    for (int boot = 0; boot < 2; boot++) {
      BootSession s = await(node.startBoot(StartBootRequest.newBuilder().setImageId("base").build()));
      List<RecordEvent> events = new ArrayList<>();
      events.add(read(s.getId(), 40960, 8192, 5));   // blocks 10, 11 at 5 ms
      events.add(read(s.getId(), 0, 100, 1));        // block 0 at 1 ms
      events.add(read(s.getId(), 4096 * 7, 1, 9));   // block 7 at 9 ms
      if (boot == 1) events.add(read(s.getId(), 4096 * 100, 4096, 2)); // block 100, second boot only
      events.add(read(s.getId(), 0, 4096, 1_000_000_000L)); // after the boot window: not profiled
      assertEquals(events.size(), await(record(node, events)).getReads());
      summaries.add(await(node.endBoot(EndBootRequest.newBuilder().setSessionId(s.getId()).build())));
    }
    assertEquals(4, summaries.get(0).getBlocksRead());
    assertEquals(2, summaries.get(1).getBoots());
    BootProfile p = await(node.getProfile(GetProfileRequest.newBuilder().setImageId("base").build()));
    assertEquals(2, p.getBoots());
    assertEquals(List.of(0L, 100L, 10L, 11L, 7L), p.getBlocksList());
    assertEquals(List.of(1, 2, 5, 5, 9), p.getFirstTouchMsList());
    assertEquals(List.of(2, 1, 2, 2, 2), p.getCountList());
    // ending a boot again (a retry) answers the same, and the ended session admits nothing more
    BootSummary again = await(node.endBoot(EndBootRequest.newBuilder().setSessionId(summaries.get(0).getSessionId()).build()));
    assertEquals(summaries.get(0).getDurationMs(), again.getDurationMs());
    assertEquals(summaries.get(0).getBlocksRead(), again.getBlocksRead());
    var notAdmitted = await(node.fetch(FetchRequest.newBuilder().setImageId("base").setOffset(SIZE - 8192).setLength(4096)
        .setSessionId(summaries.get(0).getSessionId()).build()));
    var stillMissing = await(node.fetch(FetchRequest.newBuilder().setImageId("base").setOffset(SIZE - 8192).setLength(4096).build()));
    assertEquals(1, notAdmitted.getMisses());
    assertEquals(1, stillMissing.getMisses(), "a read tagged with an ended session is not admitted");
    assertEquals(GrpcStatus.NOT_FOUND, statusOf(node.endBoot(EndBootRequest.newBuilder().setSessionId("s-never-was").build())));

    // warm reads the profile's blocks into the cache; prefetch streams them in boot order
    WarmResponse warm = await(node.warm(WarmRequest.newBuilder().setImageId("base").build()));
    assertEquals(5, warm.getBlocks());
    List<Long> offsets = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    node.prefetch(PrefetchRequest.newBuilder().setImageId("base").build()).onSuccess(stream -> stream
        .handler(r -> {
          offsets.add(r.getOffset());
          assertArrayEquals(Arrays.copyOfRange(image, (int) r.getOffset(), (int) r.getOffset() + r.getData().size()),
              r.getData().toByteArray());
          assertEquals(r.getData().size() / 4096, r.getHits(), "warmed blocks are hits");
        })
        .endHandler(v -> done.complete(null)).exceptionHandler(done::completeExceptionally))
        .onFailure(done::completeExceptionally);
    done.orTimeout(30, TimeUnit.SECONDS).join();
    assertEquals(List.of(0L, 409600L, 40960L, 28672L), offsets);
    assertTrue(!Files.exists(other));
  }

  @Test
  void badRecordStreamsGetClearErrors() {
    String imageSession = await(node.startBoot(StartBootRequest.newBuilder().setImageId("base").build())).getId();
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(record(node, List.of(write(imageSession, 0, new byte[10])))));
    assertEquals(GrpcStatus.NOT_FOUND, statusOf(record(node, List.of(read("s-nope", 0, 10, 0)))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(record(node, List.of(RecordEvent.newBuilder()
        .setRead(ReadEvent.newBuilder().setOffset(0).setLength(1)).build()))));
    assertEquals(GrpcStatus.OUT_OF_RANGE, statusOf(record(node, List.of(read(imageSession, SIZE, 10, 0)))));
    register("vm-bad", CloneMode.LINKED, "");
    String s = await(node.startBoot(StartBootRequest.newBuilder().setDiskId("vm-bad").build())).getId();
    assertEquals(GrpcStatus.OUT_OF_RANGE, statusOf(record(node, List.of(write(s, SIZE - 1, new byte[2])))));
    assertEquals(GrpcStatus.INVALID_ARGUMENT, statusOf(node.startBoot(StartBootRequest.getDefaultInstance())));
    assertEquals(GrpcStatus.NOT_FOUND, statusOf(node.startBoot(StartBootRequest.newBuilder().setDiskId("ghost").build())));
  }

  @Test
  void aBrokenStreamMakesTheDiskStaleAndItIsReadFromItsOwnFileUntilResynced() throws Exception {
    Path own = dir.resolve("vm3.raw");
    Files.write(own, image);
    register("vm3", CloneMode.FULL, own.toString());
    String s = await(node.startBoot(StartBootRequest.newBuilder().setDiskId("vm3").build())).getId();
    byte[] first = new byte[4096];
    Arrays.fill(first, (byte) 7);
    await(record(node, List.of(write(s, 0, first))));

    // the hypervisor writes its file, then the recorder's stream dies before the write reaches the cluster
    byte[] lost = new byte[4096];
    Arrays.fill(lost, (byte) 9);
    byte[] truth = image.clone();
    System.arraycopy(first, 0, truth, 0, 4096);
    System.arraycopy(lost, 0, truth, 65536, 4096);
    Files.write(own, truth);
    Promise<WriteStream<RecordEvent>> stream = Promise.promise();
    node.record(stream);
    WriteStream<RecordEvent> out = await(stream.future());
    out.write(read(s, 0, 10, 1));
    Thread.sleep(300);
    ((GrpcClientRequest<?, ?>) out).cancel();

    Disk stale = waitForState("vm3", DiskState.STALE);
    assertTrue(stale.getStaleReason().contains("broke"), stale.getStaleReason());
    assertArrayEquals(truth, readDisk(node, "vm3", 0, SIZE), "a stale full clone is read from its own file");

    Disk resynced = await(node.resyncDisk(ResyncDiskRequest.newBuilder().setDiskId("vm3").build()));
    assertEquals(DiskState.ACTIVE, resynced.getState());
    assertEquals(2, resynced.getGeneration());
    assertArrayEquals(truth, readDisk(node, "vm3", 0, SIZE), "the resynced layer holds every block that differs");
    register("vm4", CloneMode.LINKED, "");
    assertEquals(GrpcStatus.FAILED_PRECONDITION, statusOf(node.resyncDisk(ResyncDiskRequest.newBuilder().setDiskId("vm4").build())));
  }

  static Disk waitForState(String id, DiskState state) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      for (Disk d : await(node.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList()) {
        if (d.getId().equals(id) && d.getState() == state) return d;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("disk " + id + " never became " + state);
  }

  /**
   * A read event that covers a whole 8 GiB image (2M blocks) costs a bounded amount: a boot keeps
   * at most 1M blocks, and a profile too, the earliest read over its boots.
   */
  @Test
  void aReadOfAWholeHugeImageKeepsAMillionBlocksAtMost() throws Exception {
    long size = 8L << 30;
    Path sparse = dir.resolve("huge.raw");
    try (RandomAccessFile f = new RandomAccessFile(sparse.toFile(), "rw")) {
      f.setLength(size); // sparse: no disk space taken
    }
    await(node.registerImage(RegisterImageRequest.newBuilder().setId("huge").setLocation(sparse.toString()).build()));
    String first = await(node.startBoot(StartBootRequest.newBuilder().setImageId("huge").build())).getId();
    assertEquals(1, await(record(node, List.of(read(first, 0, size, 50)))).getReads());
    await(node.endBoot(EndBootRequest.newBuilder().setSessionId(first).build()));
    BootProfile one = await(node.getProfile(GetProfileRequest.newBuilder().setImageId("huge").build()));
    assertEquals(FirstTouches.MAX_BLOCKS, one.getBlocksCount(), "the first million blocks read");
    assertEquals(FirstTouches.MAX_BLOCKS - 1, one.getBlocks(one.getBlocksCount() - 1));

    // a second boot reads the other half earlier: the profile keeps the earliest million
    String second = await(node.startBoot(StartBootRequest.newBuilder().setImageId("huge").build())).getId();
    await(record(node, List.of(read(second, size / 2, size / 2, 10))));
    await(node.endBoot(EndBootRequest.newBuilder().setSessionId(second).build()));
    BootProfile two = await(node.getProfile(GetProfileRequest.newBuilder().setImageId("huge").build()));
    assertEquals(ProfileStore.MAX_BLOCKS, two.getBlocksCount());
    assertEquals(2, two.getBoots());
    assertEquals(size / 2 / 4096, two.getBlocks(0), "the earliest read first");
    assertEquals(10, two.getFirstTouchMs(two.getBlocksCount() - 1));
  }
}
