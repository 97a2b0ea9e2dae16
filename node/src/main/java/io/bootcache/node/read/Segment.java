package io.bootcache.node.read;

import io.bootcache.node.cluster.BlockHash;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * One log file of the {@link DiskTier}: records appended one after another, each
 * {@code magic, crc32c, key length, key, index, hash, data length, data}, the CRC over everything
 * after itself. A torn record at the end (a crash mid-append) is cut off when the file is opened.
 */
final class Segment implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Segment.class.getName());
  private static final int MAGIC = 0x42435331; // "BCS1"
  /** magic, crc, key length */
  private static final int FIXED = 4 + 4 + 2;
  /** index, hash, data length */
  private static final int AFTER_KEY = 8 + 32 + 4;
  private static final int MAX_DATA = 64 * 1024;
  private static final Pattern NAME = Pattern.compile("seg-(\\d{8})\\.log");

  private final int id;
  private final Path file;
  private final FileChannel channel;
  private volatile long size;

  /** What a scan finds: a record's key and index, and where it is. */
  interface Visitor {
    void record(String key, long index, long offset, int length);
  }

  private Segment(int id, Path file, FileChannel channel, long size) {
    this.id = id;
    this.file = file;
    this.channel = channel;
    this.size = size;
  }

  static Path fileOf(Path dir, int id) {
    return dir.resolve(String.format("seg-%08d.log", id));
  }

  /** The segment id a file name carries, or null when it is not a segment. */
  static Integer idOf(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? Integer.valueOf(m.group(1)) : null;
  }

  static Segment create(Path dir, int id) throws IOException {
    Path f = fileOf(dir, id);
    FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new Segment(id, f, ch, 0);
  }

  static Segment open(Path dir, int id) throws IOException {
    Path f = fileOf(dir, id);
    FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
    return new Segment(id, f, ch, ch.size());
  }

  int id() {
    return id;
  }

  long size() {
    return size;
  }

  static int recordLength(String key, int dataLength) {
    return FIXED + key.getBytes(StandardCharsets.UTF_8).length + AFTER_KEY + dataLength;
  }

  /** Appends a record; answers its offset. One writer at a time. */
  long append(String key, long index, BlockHash hash, byte[] data) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    ByteBuffer r = ByteBuffer.allocate(FIXED + k.length + AFTER_KEY + data.length);
    r.putInt(MAGIC).putInt(0).putShort((short) k.length).put(k).putLong(index).put(hash.toBytes())
        .putInt(data.length).put(data);
    r.putInt(4, crc(r.array(), 8, r.capacity() - 8));
    r.flip();
    long offset = size;
    for (long at = offset; r.hasRemaining(); ) at += channel.write(r, at);
    size = offset + r.capacity();
    return offset;
  }

  /** The block of the record at {@code offset}, or null when the record is not that block or fails its check. */
  Block read(String key, long index, long offset, int length) throws IOException {
    ByteBuffer r = ByteBuffer.allocate(length);
    for (long at = offset; r.hasRemaining(); ) {
      int n = channel.read(r, at);
      if (n < 0) return null;
      at += n;
    }
    byte[] b = r.array();
    if (r.getInt(0) != MAGIC || r.getInt(4) != crc(b, 8, length - 8)) return null;
    int keyLength = r.getShort(8);
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    if (keyLength != k.length || !Arrays.equals(b, FIXED, FIXED + keyLength, k, 0, k.length)) return null;
    int at = FIXED + keyLength;
    if (r.getLong(at) != index) return null;
    BlockHash hash = BlockHash.fromBytes(Arrays.copyOfRange(b, at + 8, at + 40));
    int dataLength = r.getInt(at + 40);
    return new Block(index, hash, ByteBuffer.wrap(b, at + AFTER_KEY, dataLength).slice());
  }

  /**
   * Reads the records' headers (not their data: a read checks that) and tells the visitor of each;
   * cuts the file at the first record that is torn or not a record. Answers how many it found.
   */
  long scan(Visitor visitor) throws IOException {
    long at = 0;
    long count = 0;
    ByteBuffer fixed = ByteBuffer.allocate(FIXED);
    while (at + FIXED <= size) {
      fixed.clear();
      channel.read(fixed, at);
      int keyLength = fixed.getShort(8);
      if (fixed.getInt(0) != MAGIC || keyLength <= 0 || at + FIXED + keyLength + AFTER_KEY > size) break;
      ByteBuffer rest = ByteBuffer.allocate(keyLength + AFTER_KEY);
      channel.read(rest, at + FIXED);
      int dataLength = rest.getInt(keyLength + 40);
      long length = FIXED + keyLength + AFTER_KEY + (long) dataLength;
      if (dataLength < 0 || dataLength > MAX_DATA || at + length > size) break;
      String key = new String(rest.array(), 0, keyLength, StandardCharsets.UTF_8);
      visitor.record(key, rest.getLong(keyLength), at, (int) length);
      count++;
      at += length;
    }
    if (at < size) {
      LOG.warning("disk tier segment " + file + ": cut at " + at + " of " + size + " bytes (a torn or foreign record)");
      channel.truncate(at);
      size = at;
    }
    return count;
  }

  private static int crc(byte[] b, int from, int length) {
    CRC32C c = new CRC32C();
    c.update(b, from, length);
    return (int) c.getValue();
  }

  void delete() {
    close();
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warning("cannot delete disk tier segment " + file + ": " + e.getMessage());
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
