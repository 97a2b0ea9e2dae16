package io.bootcache.sim.storm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks every byte a simulated VM reads against the image file itself, read directly (not through
 * the throttle, not through the cache).
 */
public final class Verifier implements AutoCloseable {
  private static final int MAX_REPORTED = 10;
  private final List<FileChannel> images = new ArrayList<>();
  private final ThreadLocal<ByteBuffer> scratch = ThreadLocal.withInitial(() -> ByteBuffer.allocate(1 << 20));
  private final AtomicLong verifiedReads = new AtomicLong();
  private final AtomicLong verifiedBytes = new AtomicLong();
  private final AtomicLong mismatches = new AtomicLong();
  private final List<String> firstMismatches = new ArrayList<>();

  public Verifier(List<Path> imageFiles) throws IOException {
    for (Path p : imageFiles) images.add(FileChannel.open(p, StandardOpenOption.READ));
  }

  /** Whether {@code data} is exactly the image's bytes at {@code offset} (and as long as asked). */
  public boolean check(String vm, int image, long offset, int length, ByteBuffer data) {
    boolean ok = data.remaining() == length && sameAsFile(image, offset, data.duplicate());
    verifiedReads.incrementAndGet();
    verifiedBytes.addAndGet(length);
    if (!ok) {
      mismatches.incrementAndGet();
      synchronized (firstMismatches) {
        if (firstMismatches.size() < MAX_REPORTED) {
          firstMismatches.add(vm + ": image " + image + " at " + offset + "+" + length + " got " + data.remaining()
              + " bytes that differ from the file");
        }
      }
    }
    return ok;
  }

  private boolean sameAsFile(int image, long offset, ByteBuffer data) {
    FileChannel ch = images.get(image);
    ByteBuffer expected = scratch.get();
    try {
      long pos = offset;
      while (data.hasRemaining()) {
        int n = Math.min(data.remaining(), expected.capacity());
        expected.clear().limit(n);
        while (expected.hasRemaining()) {
          if (ch.read(expected, pos + expected.position()) < 0) return false;
        }
        expected.flip();
        ByteBuffer slice = data.slice();
        slice.limit(n);
        if (!slice.equals(expected)) return false;
        data.position(data.position() + n);
        pos += n;
      }
      return true;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read image " + image + " to verify: " + e, e);
    }
  }

  public long verifiedReads() { return verifiedReads.get(); }
  public long verifiedBytes() { return verifiedBytes.get(); }
  public long mismatches() { return mismatches.get(); }

  public List<String> firstMismatches() {
    synchronized (firstMismatches) {
      return List.copyOf(firstMismatches);
    }
  }

  @Override
  public void close() throws IOException {
    for (FileChannel ch : images) ch.close();
  }
}
