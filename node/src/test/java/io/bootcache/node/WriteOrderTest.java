package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.statusOf;
import static io.bootcache.node.RecordEvents.readDisk;
import static io.bootcache.node.RecordEvents.record;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.LayerBlock;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.MarkStaleRequest;
import io.bootcache.v1.RecordEvent;
import io.bootcache.v1.RecordWriteRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.ResyncDiskRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.WriteEvent;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes to one disk keep their order, and stale marks and resyncs never lose each other: what
 * DESIGN.md invariant 8 needs besides delivery.
 */
class WriteOrderTest {
  static final int SIZE = 16 << 20;
  @TempDir static Path dir;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node;
  static BootCacheGrpcClient other;
  static byte[] image;

  @BeforeAll
  static void start() throws Exception {
    // a slow backend: a resync of a 16 MiB disk reads 32 chunks at +25 ms each, long enough to mark it stale meanwhile
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data"))
        .configure(b -> b.backendLatency(Duration.ofMillis(25))).start();
    client = new GrpcTestClient();
    node = client.to(cluster.grpcAddresses().get(0));
    other = client.to(cluster.grpcAddresses().get(1));
    Path f = TestFiles.random(dir, "base.raw", SIZE, 8);
    image = Files.readAllBytes(f);
    await(node.registerImage(RegisterImageRequest.newBuilder().setId("base").setLocation(f.toString()).build()));
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  static RecordEvent write(String session, long offset, byte[] data, long seq) {
    return RecordEvent.newBuilder().setSessionId(session)
        .setWrite(WriteEvent.newBuilder().setOffset(offset).setData(ByteString.copyFrom(data)).setSeq(seq)).build();
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }

  static Disk disk(String id) {
    return await(node.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList().stream()
        .filter(d -> d.getId().equals(id)).findFirst().orElseThrow();
  }

  @Test
  void aFullClonesPartialWriteMergesIntoItsFileWhenTheBlocksBytesWereEvicted() throws Exception {
    Path file = dir.resolve("evicted-full.raw");
    byte[] content = image.clone();
    Files.write(file, content);
    Disk full = await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("evicted").setImageId("base")
        .setMode(CloneMode.FULL).setLocation(file.toString()).build()));
    // the hypervisor writes the file first, then the node records the write
    writeFile(file, content, 8192 + 100, filled(200, 5));
    await(node.recordWrite(RecordWriteRequest.newBuilder().setDiskId("evicted")
        .setWrite(WriteEvent.newBuilder().setOffset(8192 + 100).setData(ByteString.copyFrom(filled(200, 5))).setSeq(40)).build()));
    // the blocks region evicts the bytes of block 2 as it read after that write; its layer entry stays
    BootCacheNode n = cluster.node(0);
    LayerBlock entry = n.services().maps().diskBlocks(Catalog.diskLayer(full), 2, 1).get(2L);
    for (BootCacheNode each : cluster.nodes()) {
      each.ignite().cache(Caches.BLOCKS).remove(entry.hash());
    }
    // the next write to that block is in the file before the node merges it
    writeFile(file, content, 8192 + 1000, filled(300, 6));
    Disk after = await(node.recordWrite(RecordWriteRequest.newBuilder().setDiskId("evicted")
        .setWrite(WriteEvent.newBuilder().setOffset(8192 + 1000).setData(ByteString.copyFrom(filled(300, 6))).setSeq(50)).build()));
    assertEquals(DiskState.ACTIVE, after.getState(), after.getStaleReason());
    assertArrayEquals(Arrays.copyOfRange(content, 8192, 8192 + 4096), readDisk(node, "evicted", 8192, 4096));
  }

  static void writeFile(Path file, byte[] content, int offset, byte[] data) throws Exception {
    System.arraycopy(data, 0, content, offset, data.length);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      f.write(data);
    }
  }

  @Test
  void aWriteThatArrivesAfterALaterOneOnAnotherStreamMakesTheDiskStaleNotWrong() {
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("ordered").setImageId("base").setMode(CloneMode.LINKED).build()));
    String s1 = await(node.startBoot(StartBootRequest.newBuilder().setDiskId("ordered").build())).getId();
    String s2 = await(node.startBoot(StartBootRequest.newBuilder().setDiskId("ordered").build())).getId();
    await(record(node, List.of(write(s1, 4096, filled(100, 1), 10))));
    await(record(node, List.of(write(s2, 4096, filled(4096, 2), 30))));
    assertEquals(DiskState.ACTIVE, disk("ordered").getState());
    assertArrayEquals(filled(4096, 2), readDisk(node, "ordered", 4096, 4096));
    // write 20 was acknowledged before write 30, but reaches the block after it
    await(record(node, List.of(write(s1, 4196, filled(50, 3), 20))));
    Disk d = disk("ordered");
    assertEquals(DiskState.STALE, d.getState(), "write 20 cannot be merged under write 30");
    assertTrue(d.getStaleReason().contains("after a later write"), d.getStaleReason());
  }

  @Test
  void recordWriteAnswersOnceTheLayerHoldsTheWrite() {
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("acked").setImageId("base").setMode(CloneMode.LINKED).build()));
    Disk d = await(node.recordWrite(RecordWriteRequest.newBuilder().setDiskId("acked")
        .setWrite(WriteEvent.newBuilder().setOffset(100).setData(ByteString.copyFrom(filled(10, 7))).setSeq(1)).build()));
    assertEquals(DiskState.ACTIVE, d.getState());
    byte[] want = Arrays.copyOfRange(image, 0, 4096);
    Arrays.fill(want, 100, 110, (byte) 7);
    assertArrayEquals(want, readDisk(node, "acked", 0, 4096), "readable as soon as the answer came");
    assertEquals(GrpcStatus.OUT_OF_RANGE, statusOf(node.recordWrite(RecordWriteRequest.newBuilder().setDiskId("acked")
        .setWrite(WriteEvent.newBuilder().setOffset(SIZE - 1).setData(ByteString.copyFrom(filled(2, 1)))).build())));
    assertEquals(DiskState.ACTIVE, disk("acked").getState(), "a refused write changes nothing");
  }

  @Test
  void aStaleMarkDuringAResyncWinsOverIt() throws Exception {
    Path own = Files.write(dir.resolve("full.raw"), image);
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("raced").setImageId("base").setMode(CloneMode.FULL)
        .setLocation(own.toString()).build()));
    await(node.markStale(MarkStaleRequest.newBuilder().setDiskId("raced").setReason("first loss").build()));
    Future<Disk> resync = node.resyncDisk(ResyncDiskRequest.newBuilder().setDiskId("raced").build());
    Thread.sleep(300); // the resync is reading the disk's file
    await(node.markStale(MarkStaleRequest.newBuilder().setDiskId("raced").setReason("a write lost during the resync").build()));
    assertEquals(GrpcStatus.UNAVAILABLE, statusOf(resync), "the resync may have read the file before that write");
    Disk d = disk("raced");
    assertEquals(DiskState.STALE, d.getState(), "the mark is not lost");
    assertEquals(2, d.getStaleMarks());
    assertEquals(DiskState.ACTIVE, await(node.resyncDisk(ResyncDiskRequest.newBuilder().setDiskId("raced").build())).getState(),
        "run again, with no mark meanwhile, it goes through");
  }

  @Test
  void partialWritesToOneBlockAtOnceAreAllKept() {
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("merged").setImageId("base").setMode(CloneMode.LINKED).build()));
    // 64 writes of 64 bytes, one to each 64-byte slice of block 2, all in flight together through two
    // nodes: each merges into the block as it reads it, and merges again if the block changed meanwhile
    List<Future<Disk>> writes = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      writes.add((i % 2 == 0 ? node : other).recordWrite(RecordWriteRequest.newBuilder().setDiskId("merged")
          .setWrite(WriteEvent.newBuilder().setOffset(8192 + i * 64L).setData(ByteString.copyFrom(filled(64, i + 1)))).build()));
    }
    writes.forEach(GrpcTestClient::await);
    assertEquals(DiskState.ACTIVE, disk("merged").getState());
    byte[] want = new byte[4096];
    for (int i = 0; i < 64; i++) Arrays.fill(want, i * 64, i * 64 + 64, (byte) (i + 1));
    assertArrayEquals(want, readDisk(node, "merged", 8192, 4096), "no write lost under another");
  }
}
