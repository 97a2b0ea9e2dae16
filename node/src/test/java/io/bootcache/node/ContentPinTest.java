package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.GrpcTestClient.Refusal;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.Image;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image's file that changes under the cluster, over real gRPC: reads that need the file are
 * refused (FAILED_PRECONDITION), never answered with a mix of old and new blocks.
 */
class ContentPinTest {
  static final int SIZE = 1 << 20;
  static final int BS = 4096;

  @TempDir
  Path dir;

  /** Overwrites bytes of the file in place: same size, new content, new mtime. */
  static void overwrite(Path file, long offset, int length, long seed) throws Exception {
    byte[] fresh = new byte[length];
    new Random(seed).nextBytes(fresh);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      f.write(fresh);
    }
  }

  static RegisterImageRequest register(String id, Path file) {
    return RegisterImageRequest.newBuilder().setId(id).setLocation(file.toString()).build();
  }

  static byte[] read(BootCacheGrpcClient node, String id, long offset, int length) {
    return verifiedRange(await(node.fetch(image(id, offset, length))), offset, length);
  }

  static void assertChanged(Refusal r, String id) {
    assertEquals(GrpcStatus.FAILED_PRECONDITION, r.status(), r.message());
    assertTrue(r.message().contains("image " + id + "'s file changed since registration"), r.message());
  }

  @Test
  void aChangedFileIsRefusedAndCachedBlocksStayTheOldContent() throws Exception {
    Path file = TestFiles.random(dir, "golden.raw", SIZE, 1);
    byte[] old = Files.readAllBytes(file);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
        GrpcTestClient grpc = new GrpcTestClient()) {
      String address = cluster.grpcAddresses().get(0);
      BootCacheGrpcClient node = grpc.to(address);
      Image registered = await(node.registerImage(register("golden", file)));
      assertEquals(SIZE, registered.getSize());
      assertEquals(32, registered.getContentFingerprint().size());
      assertEquals(Files.getLastModifiedTime(file).to(TimeUnit.NANOSECONDS), registered.getContentMtimeNs());
      // a boot reads the first 64 KiB: they are cached
      String session = await(node.startBoot(StartBootRequest.newBuilder().setImageId("golden").build())).getId();
      FetchRequest boot = image("golden", 0, 64 * 1024).toBuilder().setSessionId(session).build();
      assertArrayEquals(Arrays.copyOfRange(old, 0, 64 * 1024), verifiedRange(await(node.fetch(boot)), 0, 64 * 1024));
      GrpcTestClient.settledStats(node);

      // the whole file changes, as a careless `cp new.raw golden.raw` would do it: same size, new bytes
      Thread.sleep(20); // a later mtime, whatever the file system's clock granularity
      overwrite(file, 0, SIZE, 2);
      byte[] fresh = Files.readAllBytes(file);
      Refusal r = grpc.refusal(address, BootCacheGrpcClient.Fetch, image("golden", 512 * 1024, 8192));
      assertChanged(r, "golden");
      // a range that is half cached, half not: refused, not a mix of the two
      assertChanged(grpc.refusal(address, BootCacheGrpcClient.Fetch, image("golden", 60 * 1024, 8192)), "golden");
      // the cached range is the old content, whole: what the cluster read before the change
      byte[] cached = read(node, "golden", 0, 64 * 1024);
      assertArrayEquals(Arrays.copyOfRange(old, 0, 64 * 1024), cached);
      assertTrue(!Arrays.equals(Arrays.copyOfRange(fresh, 0, 64 * 1024), cached));
      // the same id cannot be taken over by the new content
      assertEquals(GrpcStatus.ALREADY_EXISTS,
          grpc.refusal(address, BootCacheGrpcClient.RegisterImage, register("golden", file)).status());
      // the new content registers under a new id and is served whole
      await(node.registerImage(register("golden-2", file)));
      assertArrayEquals(Arrays.copyOfRange(fresh, 512 * 1024, 520 * 1024), read(node, "golden-2", 512 * 1024, 8192));
    }
  }

  @Test
  void aChangeThatKeepsSizeAndMtimeIsCaughtByTheFingerprintAfterARestart() throws Exception {
    Path file = TestFiles.random(dir, "golden.raw", SIZE, 3);
    byte[] old = Files.readAllBytes(file);
    Path data = dir.resolve("data");
    Image registered;
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(data).start();
        GrpcTestClient grpc = new GrpcTestClient()) {
      BootCacheGrpcClient node = grpc.to(cluster.grpcAddresses().get(0));
      registered = await(node.registerImage(register("golden", file)));
      assertArrayEquals(Arrays.copyOfRange(old, 0, BS), read(node, "golden", 0, BS));
    }
    // while the cluster is down, a sampled block (the last one) changes and the mtime is put back
    FileTime mtime = Files.getLastModifiedTime(file);
    overwrite(file, SIZE - BS, BS, 4);
    Files.setLastModifiedTime(file, mtime);
    assertEquals(registered.getContentMtimeNs(), Files.getLastModifiedTime(file).to(TimeUnit.NANOSECONDS));
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(data).start();
        GrpcTestClient grpc = new GrpcTestClient()) {
      String address = cluster.grpcAddresses().get(0);
      assertChanged(grpc.refusal(address, BootCacheGrpcClient.Fetch,
          FetchRequest.newBuilder().setImageId("golden").setOffset(BS).setLength(BS).build()), "golden");
    }
  }
}
