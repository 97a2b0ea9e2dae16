package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.RecordEvents.readDisk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.bootcache.node.catalog.Catalog;
import io.bootcache.node.cluster.BlockRef;
import io.bootcache.node.cluster.Caches;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.RecordWriteRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.WriteEvent;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.apache.ignite.Ignite;
import org.apache.ignite.cluster.BaselineNode;
import org.apache.ignite.cluster.ClusterNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes, one backup, two of them gone at once: the disk-layer partitions whose both copies
 * were on those two are lost. No disk may then read as its image where it has writes: a disk whose
 * layer had blocks there goes stale (a full clone is read from its file, a linked clone refused),
 * the others keep their layers and take new writes.
 */
class LayerLossTest {
  static final int SIZE = 16 << 20;
  static final int BLOCK = 4096;
  @TempDir Path dir;
  LocalCluster cluster;
  GrpcTestClient client;
  BootCacheGrpcClient survivor;
  byte[] image;

  void start(LocalCluster.Builder nodes) throws Exception {
    cluster = nodes.nodes(3).dataDir(dir.resolve("data")).start();
    client = new GrpcTestClient();
    survivor = client.to(cluster.grpcAddresses().get(0));
    Path f = TestFiles.random(dir, "base.raw", SIZE, 21);
    image = Files.readAllBytes(f);
    await(survivor.registerImage(RegisterImageRequest.newBuilder().setId("base").setLocation(f.toString()).build()));
  }

  @AfterEach
  void stop() {
    if (client != null) client.close();
    if (cluster != null) cluster.close();
  }

  @Test
  void disksWithWritesInLostPartitionsGoStaleAndTheOthersKeepTheirLayers() throws Exception {
    start(LocalCluster.builder().configure(b -> b.backups(1)));
    Ignite ignite = cluster.node(0).services().ignite();
    ClusterNode keeper = ignite.cluster().localNode();
    // a linked clone whose one written block lives only on the two nodes that go, and one whose block lives here too
    String doomed = linkedCloneWhoseBlockZero(ignite, owners -> !owners.contains(keeper));
    String kept = linkedCloneWhoseBlockZero(ignite, owners -> owners.contains(keeper));
    Path ownFile = Files.write(dir.resolve("full.raw"), image);
    await(survivor.registerDisk(RegisterDiskRequest.newBuilder().setId("full").setImageId("base")
        .setMode(CloneMode.FULL).setLocation(ownFile.toString()).build()));

    Map<String, byte[]> expected = new TreeMap<>();
    for (String id : List.of(doomed, kept, "full")) expected.put(id, image.clone());
    write(doomed, 0, pattern(BLOCK, 1), expected);
    write(kept, 0, pattern(BLOCK, 2), expected);
    // the full clone writes a block in every stripe, into its file first, as its NBD server would
    for (int stripe = 0; stripe < SIZE / (64 * BLOCK); stripe++) {
      byte[] data = pattern(BLOCK, 100 + stripe);
      long at = (long) stripe * 64 * BLOCK + 5 * BLOCK;
      writeFile(ownFile, at, data);
      write("full", at, data, expected);
    }
    assertArrayEquals(Arrays.copyOfRange(expected.get(doomed), 0, 2 * BLOCK), readDisk(survivor, doomed, 0, 2 * BLOCK));

    // nodes 1 and 2 go at once: no time to move their partitions anywhere
    CompletableFuture.allOf(CompletableFuture.runAsync(() -> cluster.node(1).close()),
        CompletableFuture.runAsync(() -> cluster.node(2).close())).join();

    // from the first moment on, every read is right or refused: never the image where a disk has writes
    long until = System.nanoTime() + 20_000_000_000L;
    int refused = 0;
    int checked = 0;
    while (state(doomed) != DiskState.STALE && System.nanoTime() < until) {
      for (String id : expected.keySet()) {
        byte[] got = readOrNull(id, 0, 2 * BLOCK);
        if (got == null) refused++;
        else assertArrayEquals(Arrays.copyOfRange(expected.get(id), 0, 2 * BLOCK), got, id + " while partitions were lost");
        checked++;
      }
    }
    Disk gone = disk(doomed);
    assertEquals(DiskState.STALE, gone.getState(), "its only write was in a lost partition");
    assertTrue(gone.getStaleReason().contains("lost"), gone.getStaleReason());
    assertNull(readOrNull(doomed, 0, BLOCK), "a stale linked clone is refused, not shown as its image");
    assertEquals(DiskState.STALE, state("full"), "it wrote into every stripe, some of them lost");
    assertArrayEquals(expected.get("full"), readWhole("full"), "read from its own file, whole");

    assertEquals(DiskState.ACTIVE, state(kept), "its layer is whole: a copy of its block stayed");
    assertArrayEquals(Arrays.copyOfRange(expected.get(kept), 0, 2 * BLOCK), readDisk(survivor, kept, 0, 2 * BLOCK));
    // the lost partitions were reset: the kept disk's new writes land anywhere, its old ones stay
    for (int stripe = 0; stripe < SIZE / (64 * BLOCK); stripe++) write(kept, (long) stripe * 64 * BLOCK + BLOCK, pattern(BLOCK, stripe), expected);
    assertEquals(DiskState.ACTIVE, state(kept));
    assertArrayEquals(expected.get(kept), readWhole(kept));
    System.out.println("layer loss: " + checked + " reads checked while partitions were lost, " + refused + " refused, 0 wrong");
  }

  @Test
  void withADiskCacheTheLayerWaitsForItsNodesAndComesBackWhole() throws Exception {
    start(LocalCluster.builder().diskCache(128L << 20).configure(b -> b.backups(1).rejoinGrace(Duration.ofSeconds(20))));
    Ignite ignite = cluster.node(0).services().ignite();
    awaitWholeBaseline(ignite, 3);
    ClusterNode keeper = ignite.cluster().localNode();
    String doomed = linkedCloneWhoseBlockZero(ignite, owners -> !owners.contains(keeper));
    Map<String, byte[]> expected = new TreeMap<>();
    expected.put(doomed, image.clone());
    write(doomed, 0, pattern(BLOCK, 7), expected);

    // both nodes that hold its block restart within the grace: refused meanwhile, never the image's bytes
    CompletableFuture.allOf(CompletableFuture.runAsync(() -> cluster.node(1).close()),
        CompletableFuture.runAsync(() -> cluster.node(2).close())).join();
    int refused = 0;
    for (int i = 0; i < 10; i++) {
      byte[] got = readOrNull(doomed, 0, BLOCK);
      if (got == null) refused++;
      else assertArrayEquals(Arrays.copyOfRange(expected.get(doomed), 0, BLOCK), got, "while its nodes were away");
    }
    assertEquals(10, refused, "its only copies are away");
    assertEquals(DiskState.ACTIVE, state(doomed), "within the grace the layer waits for its nodes");
    CompletableFuture.allOf(CompletableFuture.runAsync(() -> cluster.restart(1)),
        CompletableFuture.runAsync(() -> cluster.restart(2))).join();
    long until = System.nanoTime() + 30_000_000_000L;
    byte[] back = null;
    while (back == null && System.nanoTime() < until) {
      back = readOrNull(doomed, 0, BLOCK);
      if (back == null) Thread.sleep(200);
    }
    assertArrayEquals(Arrays.copyOfRange(expected.get(doomed), 0, BLOCK), back, "its write came back from their disks");
    assertEquals(DiskState.ACTIVE, state(doomed));

    // gone for longer than the grace: the layer is given up, the disk is stale and says why
    CompletableFuture.allOf(CompletableFuture.runAsync(() -> cluster.node(1).close()),
        CompletableFuture.runAsync(() -> cluster.node(2).close())).join();
    until = System.nanoTime() + 30_000_000_000L;
    while (state(doomed) != DiskState.STALE && System.nanoTime() < until) {
      assertNull(readOrNull(doomed, 0, BLOCK), "refused until it is settled");
      Thread.sleep(200);
    }
    assertEquals(DiskState.STALE, state(doomed));
    assertTrue(disk(doomed).getStaleReason().contains("did not come back"), disk(doomed).getStaleReason());
    until = System.nanoTime() + 10_000_000_000L;
    while (ignite.cluster().currentBaselineTopology().size() > 1 && System.nanoTime() < until) Thread.sleep(100);
    assertEquals(1, ignite.cluster().currentBaselineTopology().size(), "the nodes that did not come back left the baseline");
  }

  /**
   * Waits until every node is in the baseline and holds its share of the durable caches: a new
   * cluster is activated with the nodes there at that moment, and the others are added within a
   * second or so; until then the keeper may hold no copy of the metadata the test reads later.
   */
  static void awaitWholeBaseline(Ignite ignite, int nodes) throws InterruptedException {
    long until = System.nanoTime() + 30_000_000_000L;
    while (baselineSize(ignite) < nodes && System.nanoTime() < until) Thread.sleep(100);
    assertEquals(nodes, baselineSize(ignite), "every node joined the baseline");
    for (String name : List.of(Caches.IMAGES, Caches.DISKS, Caches.NAMES, Caches.DISK_LAYERS)) {
      ignite.cache(name).rebalance().get();
    }
  }

  static int baselineSize(Ignite ignite) {
    Collection<BaselineNode> baseline = ignite.cluster().currentBaselineTopology();
    return baseline == null ? 0 : baseline.size();
  }

  /** Registers linked clones until one's block 0 lands in a disk-layer partition whose owners match. */
  String linkedCloneWhoseBlockZero(Ignite ignite, Predicate<Collection<ClusterNode>> owners) {
    for (int i = 0; ; i++) {
      String id = "linked-" + i;
      if (known(id) != null) continue;
      Disk d = await(survivor.registerDisk(RegisterDiskRequest.newBuilder().setId(id).setImageId("base")
          .setMode(CloneMode.LINKED).build()));
      BlockRef ref = new BlockRef(Catalog.diskLayer(d), 0, 64);
      if (owners.test(ignite.affinity(Caches.DISK_LAYERS).mapKeyToPrimaryAndBackups(ref))) return id;
    }
  }

  void write(String disk, long offset, byte[] data, Map<String, byte[]> expected) {
    await(survivor.recordWrite(RecordWriteRequest.newBuilder().setDiskId(disk)
        .setWrite(WriteEvent.newBuilder().setOffset(offset).setData(ByteString.copyFrom(data)).setSeq(System.nanoTime())).build()));
    System.arraycopy(data, 0, expected.get(disk), (int) offset, data.length);
  }

  void writeFile(Path file, long offset, byte[] data) throws Exception {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(data), offset);
    }
  }

  /** The bytes, or null when the node refused the read (stale, or a lost partition) with the status a VM's read fails on. */
  byte[] readOrNull(String disk, int offset, int length) {
    try {
      return readDisk(survivor, disk, offset, length);
    } catch (InvalidStatusException e) {
      if (Set.of(GrpcStatus.UNAVAILABLE, GrpcStatus.FAILED_PRECONDITION).contains(e.actualStatus())) return null;
      throw e;
    }
  }

  byte[] readWhole(String disk) {
    byte[] out = new byte[SIZE];
    for (int at = 0; at < SIZE; at += 1 << 20) System.arraycopy(readDisk(survivor, disk, at, 1 << 20), 0, out, at, 1 << 20);
    return out;
  }

  static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (seed * 31 + i);
    return b;
  }

  Disk known(String id) {
    List<Disk> all = new ArrayList<>(await(survivor.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList());
    return all.stream().filter(d -> d.getId().equals(id)).findFirst().orElse(null);
  }

  Disk disk(String id) {
    Disk d = known(id);
    assertTrue(d != null, id);
    return d;
  }

  DiskState state(String id) {
    return disk(id).getState();
  }
}
