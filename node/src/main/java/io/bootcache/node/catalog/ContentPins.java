package io.bootcache.node.catalog;

import com.google.protobuf.ByteString;
import io.bootcache.backends.FileStamp;
import io.bootcache.node.ApiError;
import io.bootcache.v1.Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What identifies an image file's content, taken at registration: its size, its modification time
 * and a fingerprint of sampled blocks. The cluster caches the content it read; a file that changed
 * since would mix new blocks into old ones, so a changed file is refused instead, for good on this
 * node. Every backend read is followed by a stat (cheap); before its first backend read of an image a
 * node also compares the fingerprint, which catches a change that kept size and mtime.
 */
public final class ContentPins {
  /** Blocks fingerprinted besides the first and the last, spread evenly over the file. */
  static final int SPREAD = 64;

  /** Image id -> why it is refused on this node. */
  private final Map<String, String> changed = new ConcurrentHashMap<>();
  /** Images whose fingerprint this node has compared. */
  private final Set<String> fingerprinted = ConcurrentHashMap.newKeySet();

  /** The image with the pin of its file's content as it is now. */
  public static Image pin(Image image, Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return image.toBuilder()
          .setContentMtimeNs(FileStamp.of(file).mtimeNanos())
          .setContentFingerprint(ByteString.copyFrom(fingerprint(ch, image.getSize(), image.getBlockSize())))
          .build();
    } catch (IOException e) {
      throw ApiError.invalid("image " + image.getId() + ": cannot read " + file + ": " + e.getMessage());
    }
  }

  /** True when both records pin the same content (a record from before pinning matches any). */
  public static boolean samePin(Image registered, Image now) {
    return !isPinned(registered) || (registered.getSize() == now.getSize()
        && registered.getContentMtimeNs() == now.getContentMtimeNs()
        && registered.getContentFingerprint().equals(now.getContentFingerprint()));
  }

  /**
   * Throws FAILED_PRECONDITION when the image's file no longer holds the content registered; call it
   * after reading the file, so that bytes read while it changed are never answered.
   */
  public void check(Image image) {
    if (!isPinned(image)) return;
    String why = changed.get(image.getId());
    if (why == null) why = changedNow(image);
    if (why != null) {
      changed.putIfAbsent(image.getId(), why);
      throw ApiError.failedPrecondition("image " + image.getId() + "'s file changed since registration (" + why
          + "): re-register it under a new id; the cluster holds blocks of the old content");
    }
  }

  private String changedNow(Image image) {
    Path file = Path.of(image.getLocation());
    try {
      FileStamp now = FileStamp.of(file);
      if (now.size() != image.getSize()) return "size " + image.getSize() + " then, " + now.size() + " now";
      if (now.mtimeNanos() != image.getContentMtimeNs()) return "modified at " + now.modified();
      if (fingerprinted.contains(image.getId())) return null;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        byte[] print = fingerprint(ch, image.getSize(), image.getBlockSize());
        if (!image.getContentFingerprint().equals(ByteString.copyFrom(print))) return "its sampled blocks differ";
      }
      fingerprinted.add(image.getId());
      return null;
    } catch (IOException e) {
      throw ApiError.unavailable("cannot check image " + image.getId() + "'s file " + file + ": " + e.getMessage());
    }
  }

  private static boolean isPinned(Image image) {
    return image.getContentMtimeNs() != 0 || !image.getContentFingerprint().isEmpty();
  }

  /**
   * SHA-256 over the size, the block size and sampled blocks (each with its index): the first, the
   * last, and SPREAD spread evenly between them. 66 reads whatever the file's size.
   */
  static byte[] fingerprint(FileChannel ch, long size, int blockSize) throws IOException {
    MessageDigest sha = sha256();
    long blocks = (size + blockSize - 1) / blockSize;
    ByteBuffer header = ByteBuffer.allocate(12).putLong(size).putInt(blockSize).flip();
    sha.update(header);
    ByteBuffer block = ByteBuffer.allocate(blockSize);
    ByteBuffer index = ByteBuffer.allocate(8);
    long previous = -1;
    for (int k = 0; k <= SPREAD + 1; k++) {
      long i = k * (blocks - 1) / (SPREAD + 1);
      if (i == previous) continue; // a small file: fewer blocks than samples
      previous = i;
      block.clear().limit((int) Math.min(blockSize, size - i * blockSize));
      while (block.hasRemaining()) {
        if (ch.read(block, i * blockSize + block.position()) < 0) throw new IOException("the file ended early");
      }
      sha.update(index.clear().putLong(i).flip());
      sha.update(block.flip());
    }
    return sha.digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
