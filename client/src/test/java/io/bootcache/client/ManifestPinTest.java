package io.bootcache.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.ApiError;
import io.bootcache.node.BootCacheNode;
import io.bootcache.node.LocalCluster;
import io.bootcache.node.catalog.BlockManifests;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.BlockRef;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.Regions;
import io.bootcache.v1.BlockManifestChunk;
import io.bootcache.v1.Image;
import io.vertx.grpc.common.GrpcStatus;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import org.apache.ignite.IgniteCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image registered with pinned blocks has its block manifest taken at registration, the hash of
 * every block: a node whose block map points a block at another block's bytes (with their own,
 * matching hash) is caught by the client, which reads that block from the backend instead. Without
 * pinned blocks, registration reads nothing.
 */
class ManifestPinTest {
  static final int BLOCK = 512;
  /** Two manifest chunks and a short last block. */
  static final int SIZE = (BlockManifests.CHUNK_BLOCKS + 40) * BLOCK + 100;

  @TempDir
  Path dir;

  @Test
  void manifestMatchesTheFileAndSurvivesARestart() throws Exception {
    byte[] bytes = TestImages.write(dir.resolve("a.raw"), SIZE, 7);
    byte[] expected = hashesOf(bytes);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      Image image = client.registerImage("a", dir.resolve("a.raw").toString(), BLOCK, true);
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(expected), image.getBlockManifestDigest().toByteArray());
      assertArrayEquals(expected, manifestOf(cluster.node(0), image));
      assertEquals(SIZE, cluster.node(0).services().metrics().manifestBytes.getCount());

      BootCacheNode restarted = cluster.restart(0); // a lone node: the cluster's caches go, the data directory stays
      assertArrayEquals(expected, manifestOf(restarted, image));
    }
  }

  @Test
  void aDurableClusterRestoresItsManifestsToo() throws Exception {
    byte[] bytes = TestImages.write(dir.resolve("d.raw"), SIZE, 9);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).diskCache(128L << 20).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      Image image = client.registerImage("d", dir.resolve("d.raw").toString(), BLOCK, true);
      // the metadata is on disk and comes back by itself; the manifests' region is in memory
      BootCacheNode restarted = cluster.restart(0);
      assertArrayEquals(hashesOf(bytes), manifestOf(restarted, image));
    }
  }

  @Test
  void withoutPinnedBlocksRegistrationReadsNothing() throws Exception {
    TestImages.write(dir.resolve("u.raw"), SIZE, 10);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      Image image = client.registerImage("u", dir.resolve("u.raw").toString(), BLOCK);
      assertTrue(image.getBlockManifestDigest().isEmpty());
      assertEquals(0, cluster.node(0).services().metrics().backendReads.getCount());
      ApiError none = assertThrows(ApiError.class, () -> cluster.node(0).services().catalog().manifestChunk("u", 0));
      assertEquals(ApiError.Kind.FAILED_PRECONDITION, none.kind(), none.getMessage());
      // asking again with pinned blocks cannot change a registered image
      BootCacheException e = assertThrows(BootCacheException.class,
          () -> client.registerImage("u", dir.resolve("u.raw").toString(), BLOCK, true));
      assertEquals(GrpcStatus.ALREADY_EXISTS, e.status(), e.getMessage());
    }
  }

  @Test
  void aBlockMappedToAnotherBlocksHashIsReadFromTheBackend() throws Exception {
    byte[] bytes = TestImages.write(dir.resolve("b.raw"), SIZE, 8);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses())
             .deadline(Duration.ofSeconds(5)).build()) {
      client.registerImage("b", dir.resolve("b.raw").toString(), BLOCK, true);
      // the node's block map says block 5 is block 7's bytes; the cluster holds those bytes under their hash
      BootCacheNode node = cluster.node(0);
      byte[] seventh = TestImages.slice(bytes, 7L * BLOCK, BLOCK);
      BlockHash wrong = BlockHash.of(seventh);
      IgniteCache<BlockRef, byte[]> blockmap = node.ignite().cache(Caches.BLOCKMAP);
      IgniteCache<BlockHash, byte[]> blocks = node.ignite().cache(Caches.BLOCKS);
      blocks.put(wrong, seventh);
      blockmap.put(node.services().maps().imageRef("b", 5), wrong.toBytes());

      assertArrayEquals(TestImages.slice(bytes, 5L * BLOCK, BLOCK), client.readBlocking(Target.image("b"), 5L * BLOCK, BLOCK));
      ClientStats stats = client.clientStats();
      assertEquals(1, stats.manifestMismatches(), stats.toString());
      assertEquals(1, stats.fallbackReads(), stats.toString());
      assertEquals(0, stats.verifyFailures(), stats.toString()); // the bytes did match the hash the node sent

      // the other blocks are the node's to answer, checked and accepted
      assertArrayEquals(TestImages.slice(bytes, 7L * BLOCK, 3 * BLOCK), client.readBlocking(Target.image("b"), 7L * BLOCK, 3 * BLOCK));
      assertArrayEquals(TestImages.slice(bytes, SIZE - 300, 300), client.readBlocking(Target.image("b"), SIZE - 300, 300));
      assertEquals(1, client.clientStats().manifestMismatches(), client.clientStats().toString());
      assertEquals(1, client.clientStats().fallbackReads(), client.clientStats().toString());
    }
  }

  @Test
  void aClientThatRequiresPinnedBlocksReadsOtherImagesFromTheirFiles() throws Exception {
    byte[] unpinned = TestImages.write(dir.resolve("u.raw"), SIZE, 11);
    byte[] pinned = TestImages.write(dir.resolve("p.raw"), SIZE, 12);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).requirePinnedBlocks(true).build()) {
      client.registerImage("u", dir.resolve("u.raw").toString(), BLOCK);
      client.registerImage("p", dir.resolve("p.raw").toString(), BLOCK, true);

      assertArrayEquals(TestImages.slice(pinned, 4096, 8192), client.readBlocking(Target.image("p"), 4096, 8192));
      assertEquals(0, client.clientStats().fallbackReads(), "a pinned image's blocks come from the node, checked");

      long nodeReads = cluster.node(0).services().metrics().reads.getCount();
      assertArrayEquals(TestImages.slice(unpinned, 4096, 8192), client.readBlocking(Target.image("u"), 4096, 8192));
      ClientStats stats = client.clientStats();
      assertEquals(1, stats.fallbackReads(), "an image without pinned blocks is read from its file: " + stats);
      assertEquals(nodeReads, cluster.node(0).services().metrics().reads.getCount(), "and the node is not asked");
    }
  }

  @Test
  void aManifestThatWouldFillItsRegionIsRefusedBeforeAnyRead() throws Exception {
    Path big = dir.resolve("big.raw");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(512L << 20); // sparse: 1 Mi blocks of 512 bytes, a 32 MiB manifest
    }
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data"))
             .configure(c -> c.manifestRegionBytes(32L << 20)).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      BootCacheException e = assertThrows(BootCacheException.class, () -> client.registerImage("big", big.toString(), BLOCK, true));
      assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, e.status(), e.getMessage());
      assertTrue(e.getMessage().contains("--manifest-memory"), e.getMessage());
      assertTrue(client.images().isEmpty(), "nothing was registered");
      assertEquals(0, cluster.node(0).services().metrics().backendReads.getCount(), "nothing was read");
      // with 4 KiB blocks its manifest is 4 MiB: it fits, in about that much of the region
      long before = Regions.usedBytes(cluster.node(0).ignite(), Regions.MANIFESTS);
      assertEquals(512L << 20, client.registerImage("big", big.toString(), 4096, true).getSize());
      long used = Regions.usedBytes(cluster.node(0).ignite(), Regions.MANIFESTS) - before;
      assertTrue(used >= 4L << 20 && used <= BlockManifests.OVERHEAD * (4L << 20), "region bytes taken: " + used + " (" + before + " before)");
    }
  }

  /** The SHA-256 of each block, as the read path hashes them (the last one short). */
  static byte[] hashesOf(byte[] bytes) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int from = 0; from < bytes.length; from += BLOCK) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(bytes, from, Math.min(BLOCK, bytes.length - from));
      out.write(sha.digest());
    }
    return out.toByteArray();
  }

  static byte[] manifestOf(BootCacheNode node, Image image) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long blocks = (image.getSize() + BLOCK - 1) / BLOCK;
    for (long first = 0; first < blocks; first += BlockManifests.CHUNK_BLOCKS) {
      BlockManifestChunk c = node.services().catalog().manifestChunk(image.getId(), first);
      assertEquals(first, c.getFirstBlock());
      assertEquals(blocks, c.getBlocks());
      out.write(c.getHashes().toByteArray());
    }
    return out.toByteArray();
  }
}
