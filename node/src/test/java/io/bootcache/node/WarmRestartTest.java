package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static io.bootcache.node.RecordEvents.readDisk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.EndBootRequest;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.RecordWriteRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.WriteEvent;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With a disk cache, a whole cluster restarted serves the boots it served before without reading
 * the backend, and its disks come back current, with their writes, not stale.
 */
class WarmRestartTest {
  static final int SIZE = 8 << 20;
  static final int BOOT = 6 << 20; // what a boot reads: most of the image
  @TempDir Path dir;

  LocalCluster start() {
    return LocalCluster.builder().nodes(2).dataDir(dir.resolve("data")).diskCache(256L << 20)
        .configure(b -> b.backups(1).rejoinGrace(Duration.ofSeconds(30))).start();
  }

  @Test
  void aRestartedClusterBootsFromItsDisksAndItsDisksKeepTheirWrites() throws Exception {
    Path imageFile = TestFiles.random(dir, "golden.raw", SIZE, 5);
    byte[] image = Files.readAllBytes(imageFile);
    Path fullFile = Files.write(dir.resolve("full.raw"), image);
    byte[] linked = image.clone();
    byte[] full = image.clone();
    long cold;
    try (LocalCluster cluster = start(); GrpcTestClient client = new GrpcTestClient()) {
      BootCacheGrpcClient a = client.to(cluster.grpcAddresses().get(0));
      await(a.registerImage(RegisterImageRequest.newBuilder().setId("golden").setLocation(imageFile.toString()).build()));
      await(a.registerDisk(RegisterDiskRequest.newBuilder().setId("vm-linked").setImageId("golden").setMode(CloneMode.LINKED).build()));
      await(a.registerDisk(RegisterDiskRequest.newBuilder().setId("vm-full").setImageId("golden").setMode(CloneMode.FULL)
          .setLocation(fullFile.toString()).build()));
      // a boot on each host
      for (String node : cluster.grpcAddresses()) assertArrayEquals(Arrays.copyOf(image, BOOT), boot(client.to(node)));
      cold = backendReads(cluster);
      // writes, acknowledged once the layers hold them
      for (int i = 0; i < 40; i++) {
        byte[] data = pattern(1000 + 37 * i, i);
        long at = (long) i * 200_003 % (SIZE - data.length);
        write(a, "vm-linked", at, data, linked);
        writeFile(fullFile, at, data);
        write(a, "vm-full", at, data, full);
      }
      for (BootCacheNode n : cluster.nodes()) n.services().disk().flush();
    }

    try (LocalCluster cluster = start(); GrpcTestClient client = new GrpcTestClient()) {
      for (String node : cluster.grpcAddresses()) assertArrayEquals(Arrays.copyOf(image, BOOT), boot(client.to(node)));
      long warm = backendReads(cluster);
      System.out.printf("warm restart: backend reads of the boots after the restart %d, before it (cold) %d: %.3f%n",
          warm, cold, (double) warm / cold);
      assertTrue(cold > 0);
      assertEquals(0, warm, "each host's boot came from its disk tier");

      BootCacheGrpcClient b = client.to(cluster.grpcAddresses().get(1));
      for (String id : new String[] {"vm-linked", "vm-full"}) {
        Disk d = await(b.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList().stream()
            .filter(x -> x.getId().equals(id)).findFirst().orElseThrow();
        assertEquals(DiskState.ACTIVE, d.getState(), id + " came back current: " + d.getStaleReason());
      }
      assertArrayEquals(linked, readWhole(b, "vm-linked"), "the linked clone's writes came back with its layer");
      assertArrayEquals(full, readWhole(b, "vm-full"));
    }
  }

  /** One boot: a session, the boot's reads in it, its end. */
  static byte[] boot(BootCacheGrpcClient node) {
    String session = await(node.startBoot(StartBootRequest.newBuilder().setImageId("golden").setHost("h").build())).getId();
    byte[] out = new byte[BOOT];
    for (int at = 0; at < BOOT; at += 1 << 20) {
      var r = await(node.fetch(FetchRequest.newBuilder().setImageId("golden").setOffset(at).setLength(1 << 20)
          .setSessionId(session).build()));
      System.arraycopy(verifiedRange(r, at, 1 << 20), 0, out, at, 1 << 20);
    }
    await(node.endBoot(EndBootRequest.newBuilder().setSessionId(session).build()));
    return out;
  }

  static long backendReads(LocalCluster cluster) {
    long n = 0;
    for (BootCacheNode node : cluster.nodes()) n += node.services().metrics().backendReads.getCount();
    return n;
  }

  static void write(BootCacheGrpcClient node, String disk, long at, byte[] data, byte[] model) {
    Disk d = await(node.recordWrite(RecordWriteRequest.newBuilder().setDiskId(disk)
        .setWrite(WriteEvent.newBuilder().setOffset(at).setData(ByteString.copyFrom(data)).setSeq(System.nanoTime())).build()));
    assertEquals(DiskState.ACTIVE, d.getState());
    System.arraycopy(data, 0, model, (int) at, data.length);
  }

  static void writeFile(Path file, long at, byte[] data) throws Exception {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(data), at);
    }
  }

  static byte[] readWhole(BootCacheGrpcClient node, String disk) {
    byte[] out = new byte[SIZE];
    for (int at = 0; at < SIZE; at += 1 << 20) System.arraycopy(readDisk(node, disk, at, 1 << 20), 0, out, at, 1 << 20);
    return out;
  }

  static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (seed * 7 + i * 13);
    return b;
  }
}
