package io.bootcache.node.catalog;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * What pinning an image costs: the sampled fingerprint against a SHA-256 of the whole file. Not a
 * test; run it by hand (README: Pinned image content), with the file's pages dropped first for the
 * cold figures:
 *   dd if=IMAGE iflag=nocache count=0; java -cp ... io.bootcache.node.catalog.ContentPinBenchmark IMAGE sampled|full
 */
public final class ContentPinBenchmark {
  private ContentPinBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    long size = Files.size(file);
    // a running node has SHA-256 and these classes loaded: so does the benchmark, on a small file
    Path small = Files.write(Files.createTempFile("pin-warmup", ".raw"), new byte[1 << 20]);
    try (FileChannel ch = FileChannel.open(small, StandardOpenOption.READ)) {
      ContentPins.fingerprint(ch, 1 << 20, 4096);
      whole(ch);
    } finally {
      Files.delete(small);
    }
    long t0 = System.nanoTime();
    byte[] digest;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      digest = args[1].equals("full") ? whole(ch) : ContentPins.fingerprint(ch, size, 4096);
    }
    long micros = (System.nanoTime() - t0) / 1000;
    System.out.printf("%s of %d MiB: %.1f ms (%02x%02x...)%n", args[1], size >> 20, micros / 1000.0, digest[0], digest[1]);
  }

  private static byte[] whole(FileChannel ch) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    long pos = 0;
    for (int n; (n = ch.read(buf.clear(), pos)) > 0; pos += n) sha.update(buf.flip());
    return sha.digest();
  }
}
