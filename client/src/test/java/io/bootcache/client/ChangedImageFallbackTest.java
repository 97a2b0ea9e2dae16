package io.bootcache.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.LocalCluster;
import io.bootcache.v1.Image;
import io.vertx.grpc.common.GrpcStatus;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image's file that changed since registration is refused by the client's own fallback as the node
 * refuses it: the cluster may hold blocks of the old content, so the new one is never mixed in.
 */
class ChangedImageFallbackTest {
  static final int SIZE = 512 * 1024;

  @TempDir
  Path dir;

  /** Same size, new bytes, new mtime: what `cp new.raw golden.raw` over a registered image does. */
  static void scribble(Path file, long offset) throws Exception {
    Thread.sleep(20); // a later mtime, whatever the file system's clock granularity
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      f.write(new byte[] {1, 2, 3, 4});
    }
  }

  static void assertRefusedAsChanged(BootCacheClient client, String id, long offset) {
    BootCacheException e = ReadTest.assertStatus(GrpcStatus.FAILED_PRECONDITION, client.read(Target.image(id), offset, 4096));
    assertTrue(e.getMessage().contains("image " + id + "'s file") && e.getMessage().contains("changed since registration"),
        e.getMessage());
  }

  @Test
  void theFallbackRefusesAChangedImageFile() throws Exception {
    Path a = dir.resolve("a.raw");
    Path b = dir.resolve("b.raw");
    byte[] aBytes = TestImages.write(a, SIZE, 1);
    byte[] bBytes = TestImages.write(b, SIZE, 2);
    LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    try (BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses())
        .deadline(Duration.ofSeconds(1)).build()) {
      Image pinned = client.registerImage("a", a.toString(), 0);
      assertTrue(pinned.getContentMtimeNs() > 0, pinned.toString());
      client.registerImage("b", b.toString(), 0);
      client.images(); // the client learns the files and their pins while the cluster is up
      assertArrayEquals(TestImages.slice(aBytes, 0, 4096), client.readBlocking(Target.image("a"), 0, 4096));

      // the node refuses the changed file; the client's fallback, asked next, refuses it too
      scribble(a, 100_000);
      assertRefusedAsChanged(client, "a", 200_000);
      assertEquals(0, client.clientStats().fallbackReads(), client.clientStats().toString());

      cluster.close();
      cluster = null;
      // with the cluster gone, an unchanged file is read by the fallback
      assertArrayEquals(TestImages.slice(bBytes, 8192, 4096), client.readBlocking(Target.image("b"), 8192, 4096));
      assertEquals(1, client.clientStats().fallbackReads(), client.clientStats().toString());
      // and once it changes, it is refused, whichever block is asked for
      scribble(b, SIZE - 4);
      assertRefusedAsChanged(client, "b", 8192);
      assertRefusedAsChanged(client, "a", 0);
      assertEquals(1, client.clientStats().fallbackReads(), client.clientStats().toString());

      // a client that never reached the cluster, told the image as a saved export list holds it
      int deadPort;
      try (ServerSocket s = new ServerSocket(0)) {
        deadPort = s.getLocalPort();
      }
      try (BootCacheClient offline = BootCacheClient.builder().nodes("127.0.0.1:" + deadPort).knownImage(pinned)
          .location("a", a).deadline(Duration.ofSeconds(1)).build()) {
        assertRefusedAsChanged(offline, "a", 0);
      }
    } finally {
      if (cluster != null) cluster.close();
    }
  }
}
