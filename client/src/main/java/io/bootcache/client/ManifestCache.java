package io.bootcache.client;

import com.google.protobuf.ByteString;
import io.bootcache.v1.BlockManifestChunk;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.GetBlockManifestRequest;
import io.bootcache.v1.Image;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The block manifests of the images this client reads: the SHA-256 of every block, pinned at
 * registration. Fetched once per image (on its first read), checked against the digest in the Image
 * record the client holds (an image the client does not know yet is not checked, and asked again on
 * its next read), then kept in memory, 32 bytes per block (8 MiB per GiB of 4 KiB blocks),
 * the least recently used dropped past the bound. An image whose record has no digest, or whose
 * manifest alone is larger than the bound, is not checked (its answers are checked against their own
 * hashes only). A manifest that cannot be fetched or does not match its digest fails its image's
 * checks for a few seconds, then is fetched again.
 */
final class ManifestCache {
  static final long DEFAULT_BYTES = 128L * 1024 * 1024;
  private static final int HASH_BYTES = 32;
  private static final long RETRY_NANOS = 5_000_000_000L;
  /** Hashes per chunk, as the nodes serve them (BlockManifests.CHUNK_BLOCKS, in the proto). */
  static final int CHUNK_BLOCKS = 8192;

  /** An image's pinned hashes, in chunks of CHUNK_BLOCKS as the node served them (the last may be shorter). */
  static final class Manifest {
    private final int blockSize;
    private final long blocks;
    private final List<byte[]> chunks;

    Manifest(int blockSize, long blocks, List<byte[]> chunks) {
      this.blockSize = blockSize;
      this.blocks = blocks;
      this.chunks = chunks;
    }

    long bytes() {
      return blocks * HASH_BYTES;
    }

    /** Whether every block hash of the answer is the one pinned for that block of the image. */
    boolean pins(FetchResponse r) {
      if (r.getBlockSize() != blockSize || r.getOffset() % blockSize != 0) return false;
      long first = r.getOffset() / blockSize;
      ByteString hashes = r.getHashes();
      int n = hashes.size() / HASH_BYTES;
      if (first < 0 || first + n > blocks) return false;
      for (int i = 0; i < n; i++) {
        long index = first + i;
        byte[] chunk = chunks.get((int) (index / CHUNK_BLOCKS));
        int at = (int) (index % CHUNK_BLOCKS) * HASH_BYTES;
        for (int j = 0; j < HASH_BYTES; j++) {
          if (chunk[at + j] != hashes.byteAt(i * HASH_BYTES + j)) return false;
        }
      }
      return true;
    }
  }

  /** A fetch under way or done; failed ones are fetched again after RETRY_NANOS. */
  private record Held(CompletableFuture<Manifest> manifest, long since) {}

  private final Function<String, CompletableFuture<Image>> images;
  private final Function<GetBlockManifestRequest, CompletableFuture<BlockManifestChunk>> chunks;
  private final long maxBytes;
  /** Access order: the eldest is the least recently read. */
  private final Map<String, Held> held = new LinkedHashMap<>(16, 0.75f, true);

  ManifestCache(Function<String, CompletableFuture<Image>> images,
      Function<GetBlockManifestRequest, CompletableFuture<BlockManifestChunk>> chunks, long maxBytes) {
    this.images = images;
    this.chunks = chunks;
    this.maxBytes = maxBytes;
  }

  /**
   * The image's manifest: null when the image is not checked (no digest, unknown, or too large); fails
   * when no manifest that matches the digest could be had.
   */
  CompletableFuture<Manifest> forImage(String imageId) {
    synchronized (held) {
      Held h = held.get(imageId);
      if (h != null && !(h.manifest.isCompletedExceptionally() && System.nanoTime() - h.since > RETRY_NANOS)) {
        return h.manifest;
      }
      CompletableFuture<Manifest> fresh = new CompletableFuture<>();
      held.put(imageId, new Held(fresh, System.nanoTime()));
      images.apply(imageId).thenCompose(image -> {
        if (image == null) forget(imageId, fresh); // not known yet: unchecked now, asked again on the next read
        return fetch(image);
      }).whenComplete((m, err) -> {
        if (err != null) fresh.completeExceptionally(err); else fresh.complete(m);
        if (m != null) trim();
      });
      return fresh;
    }
  }

  private void forget(String imageId, CompletableFuture<Manifest> fetch) {
    synchronized (held) {
      Held h = held.get(imageId);
      if (h != null && h.manifest == fetch) held.remove(imageId);
    }
  }

  /** Drops the least recently read manifests while the ones held pass the bound (the newest stays). */
  private void trim() {
    synchronized (held) {
      long total = 0;
      for (Held h : held.values()) total += bytesOf(h);
      Iterator<Held> eldest = held.values().iterator();
      while (total > maxBytes && held.size() > 1 && eldest.hasNext()) {
        Held h = eldest.next();
        if (!h.manifest.isDone()) continue;
        total -= bytesOf(h);
        eldest.remove();
      }
    }
  }

  private static long bytesOf(Held h) {
    Manifest m = h.manifest.isDone() && !h.manifest.isCompletedExceptionally() ? h.manifest.join() : null;
    return m == null ? 0 : m.bytes();
  }

  private CompletableFuture<Manifest> fetch(Image image) {
    if (image == null || image.getBlockManifestDigest().isEmpty() || image.getBlockSize() <= 0) {
      return CompletableFuture.completedFuture(null);
    }
    long blocks = (image.getSize() + image.getBlockSize() - 1) / image.getBlockSize();
    if (blocks * HASH_BYTES > maxBytes) return CompletableFuture.completedFuture(null);
    // every chunk asked at once (at most maxBytes / 256 KiB of them), then checked in order
    List<CompletableFuture<BlockManifestChunk>> asked = new ArrayList<>();
    for (long first = 0; first < blocks; first += CHUNK_BLOCKS) {
      asked.add(chunks.apply(GetBlockManifestRequest.newBuilder().setImageId(image.getId()).setFirstBlock(first).build()));
    }
    return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new))
        .thenApply(v -> assemble(image, blocks, asked.stream().map(CompletableFuture::join).toList()));
  }

  /** The manifest from its chunks, once each fits its place and the whole matches the record's digest. */
  private static Manifest assemble(Image image, long blocks, List<BlockManifestChunk> answered) {
    MessageDigest digest = sha256();
    List<byte[]> got = new ArrayList<>();
    for (int k = 0; k < answered.size(); k++) {
      BlockManifestChunk c = answered.get(k);
      long first = (long) k * CHUNK_BLOCKS;
      long expected = Math.min(CHUNK_BLOCKS, blocks - first) * HASH_BYTES;
      if (!c.getImageId().equals(image.getId()) || c.getFirstBlock() != first || c.getBlocks() != blocks
          || c.getHashes().size() != expected) {
        throw new IllegalStateException("a node answered a malformed chunk of image " + image.getId()
            + "'s block manifest at block " + first);
      }
      byte[] hashes = c.getHashes().toByteArray();
      digest.update(hashes);
      got.add(hashes);
    }
    if (!MessageDigest.isEqual(digest.digest(), image.getBlockManifestDigest().toByteArray())) {
      throw new IllegalStateException("the block manifest of image " + image.getId() + " does not match the digest in its record");
    }
    return new Manifest(image.getBlockSize(), blocks, got);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
