package io.bootcache.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.BootCacheNode;
import io.bootcache.node.LocalCluster;
import io.bootcache.node.catalog.BlockManifests;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.BlockRef;
import io.bootcache.node.cluster.Caches;
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
 * Each image's block manifest is taken at registration and pins the hash of every block: a node whose
 * block map points a block at another block's bytes (with their own, matching hash) is caught by the
 * client, which reads that block from the backend instead.
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
      Image image = client.registerImage("a", dir.resolve("a.raw").toString(), BLOCK);
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(expected), image.getBlockManifestDigest().toByteArray());
      assertArrayEquals(expected, manifestOf(cluster.node(0), image));

      BootCacheNode restarted = cluster.restart(0); // a lone node: the cluster's caches go, the data directory stays
      assertArrayEquals(expected, manifestOf(restarted, image));
    }
  }

  @Test
  void aBlockMappedToAnotherBlocksHashIsReadFromTheBackend() throws Exception {
    byte[] bytes = TestImages.write(dir.resolve("b.raw"), SIZE, 8);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses())
             .deadline(Duration.ofSeconds(5)).build()) {
      client.registerImage("b", dir.resolve("b.raw").toString(), BLOCK);
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
  void aManifestThatWouldFillTheMetadataRegionIsRefusedBeforeAnyRead() throws Exception {
    Path big = dir.resolve("big.raw");
    try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
      f.setLength(512L << 20); // sparse: 1 Mi blocks of 512 bytes, a 32 MiB manifest
    }
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data"))
             .configure(c -> c.metaRegionBytes(64L << 20)).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).build()) {
      BootCacheException e = assertThrows(BootCacheException.class, () -> client.registerImage("big", big.toString(), BLOCK));
      assertEquals(GrpcStatus.RESOURCE_EXHAUSTED, e.status(), e.getMessage());
      assertTrue(e.getMessage().contains("--meta-memory"), e.getMessage());
      assertTrue(client.images().isEmpty(), "nothing was registered");
      // with 4 KiB blocks its manifest is 4 MiB: it fits
      assertEquals(512L << 20, client.registerImage("big", big.toString(), 4096).getSize());
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
