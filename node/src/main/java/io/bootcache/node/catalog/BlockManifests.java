package io.bootcache.node.catalog;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.bootcache.node.ApiError;
import io.bootcache.node.backend.Backend;
import io.bootcache.node.cluster.BlockHash;
import io.bootcache.node.cluster.Caches;
import io.bootcache.node.cluster.Regions;
import io.bootcache.v1.BlockManifestChunk;
import io.bootcache.v1.Image;
import java.security.MessageDigest;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;

/**
 * The block manifest of each image registered with pinned blocks: the SHA-256 of every block, taken at
 * registration by reading the whole image once, so that a client can check a node's answer for block i against the hash pinned for
 * block i (a node's block map could point i at another block's bytes, with their matching hash). Kept in
 * chunks of {@link #CHUNK_BLOCKS} hashes, replicated in a region of their own (never evicted, so a
 * registration is refused before it could fill it) and in every node's data directory, from which
 * each node restores them at start; the Image record holds the digest over the whole list.
 */
public final class BlockManifests {
  /** Hashes per chunk: 256 KiB, one gRPC answer; 32 chunks for 1 GiB of 4 KiB blocks. */
  public static final int CHUNK_BLOCKS = 8192;
  /** The data directory's folder of the chunks. */
  static final String KIND = "manifests";
  /** Past this share of the region, registrations with pinned blocks are refused. */
  static final double FULL = 0.9;
  /** Region bytes per manifest byte, pages and entries included (measured: ManifestPinTest). */
  public static final double OVERHEAD = 1.25;
  /** Bytes per backend read while the manifest is taken: the memory the image's read costs. */
  private static final int READ_BYTES = 1 << 20;

  private final IgniteCache<String, byte[]> chunks;
  private final MetadataFiles files;
  private final Backend backend;
  private final Ignite ignite;
  /** The manifests region's cap. */
  private final long regionBytes;

  public BlockManifests(Ignite ignite, MetadataFiles files, Backend backend, long regionBytes) {
    this.chunks = ignite.cache(Caches.MANIFESTS);
    this.files = files;
    this.backend = backend;
    this.ignite = ignite;
    this.regionBytes = regionBytes;
  }

  /**
   * Reads the whole image from the backend, hashes each block as the read path does, stores the chunks
   * as it goes (one chunk and one read in memory at a time), and returns the image with the digest of
   * the list. Counted as backend reads, under the node's rate limit.
   */
  public Image take(Image image) {
    int bs = image.getBlockSize();
    long blocks = blocks(image);
    refuseOverRegion(image, blocks * BlockHash.BYTES);
    MessageDigest digest = ContentPins.sha256();
    byte[] chunk = new byte[(int) Math.min(CHUNK_BLOCKS, Math.max(1, blocks)) * BlockHash.BYTES];
    int perRead = Math.max(1, READ_BYTES / bs);
    for (long first = 0; first < blocks; first += CHUNK_BLOCKS) {
      int inChunk = (int) Math.min(CHUNK_BLOCKS, blocks - first);
      for (int done = 0; done < inChunk; done += perRead) {
        long block = first + done;
        int count = Math.min(perRead, inChunk - done);
        long offset = block * bs;
        byte[] bytes = backend.readForManifest(image, offset, (int) Math.min((long) count * bs, image.getSize() - offset));
        for (int k = 0; k < count; k++) {
          int from = k * bs;
          BlockHash.of(bytes, from, Math.min(bs, bytes.length - from)).writeTo(chunk, (done + k) * BlockHash.BYTES);
        }
      }
      digest.update(chunk, 0, inChunk * BlockHash.BYTES);
      put(BlockManifestChunk.newBuilder().setImageId(image.getId()).setFirstBlock(first)
          .setHashes(ByteString.copyFrom(chunk, 0, inChunk * BlockHash.BYTES)).setBlocks(blocks).build());
    }
    return image.toBuilder().setBlockManifestDigest(ByteString.copyFrom(digest.digest())).build();
  }

  /**
   * RESOURCE_EXHAUSTED when the manifest would take the manifests region past {@link #FULL}: it is never
   * evicted, and an in-memory region that fills stops the node.
   */
  private void refuseOverRegion(Image image, long manifestBytes) {
    long used = Regions.usedBytes(ignite, Regions.MANIFESTS);
    if (used + OVERHEAD * manifestBytes > FULL * regionBytes) {
      throw ApiError.exhausted("image " + image.getId() + "'s block manifest (" + manifestBytes / 1024 + " KiB, 32 bytes "
          + "per block) would fill the manifests region (" + used / (1024 * 1024) + " of " + regionBytes / (1024 * 1024)
          + " MiB in use): start the nodes with a higher --manifest-memory, register it with larger blocks, "
          + "or without pinned blocks");
    }
  }

  private void put(BlockManifestChunk c) {
    String key = key(c.getImageId(), c.getFirstBlock());
    byte[] bytes = c.toByteArray();
    chunks.put(key, bytes);
    files.save(KIND, key, bytes);
  }

  /** The chunk of the image's manifest that starts at {@code firstBlock}. */
  public BlockManifestChunk chunk(Image image, long firstBlock) {
    if (image.getBlockManifestDigest().isEmpty()) {
      throw ApiError.failedPrecondition("image " + image.getId() + " was registered without pinned blocks, so it "
          + "has no block manifest; register its location again under a new id with pinned blocks to have one");
    }
    long blocks = blocks(image);
    if (firstBlock < 0 || firstBlock % CHUNK_BLOCKS != 0 || (firstBlock >= blocks && firstBlock > 0)) {
      throw ApiError.invalid("first_block " + firstBlock + " does not start a chunk of image " + image.getId()
          + "'s manifest: 0, or a multiple of " + CHUNK_BLOCKS + " below its " + blocks + " blocks");
    }
    byte[] bytes = chunks.get(key(image.getId(), firstBlock));
    if (bytes == null) {
      throw ApiError.unavailable("the cluster lost chunk " + firstBlock / CHUNK_BLOCKS + " of image " + image.getId()
          + "'s block manifest");
    }
    try {
      return BlockManifestChunk.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("chunk of image " + image.getId() + "'s manifest is corrupt", e);
    }
  }

  /**
   * Puts back the chunks the data directory holds and the cluster does not: every start, since their
   * region is in memory even where the metadata is durable.
   */
  public void restore() {
    for (BlockManifestChunk c : files.loadAll(KIND, BlockManifestChunk.parser())) {
      chunks.putIfAbsent(key(c.getImageId(), c.getFirstBlock()), c.toByteArray());
    }
  }

  private static long blocks(Image image) {
    return (image.getSize() + image.getBlockSize() - 1) / image.getBlockSize();
  }

  /** '@' is not allowed in ids, so keys never collide. */
  private static String key(String imageId, long firstBlock) {
    return imageId + "@" + firstBlock / CHUNK_BLOCKS;
  }
}
