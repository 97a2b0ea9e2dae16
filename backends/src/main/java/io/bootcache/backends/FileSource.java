package io.bootcache.backends;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A local (or mounted) file, read with positional reads. */
final class FileSource implements ImageSource {
  private final String location;
  private final FileChannel channel;
  private final long size;

  FileSource(String location, Path path) throws IOException {
    this.location = location;
    if (!Files.isRegularFile(path)) {
      throw new BadLocationException(path + (Files.exists(path) ? " is not a regular file" : " does not exist"));
    }
    try {
      this.channel = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new BadLocationException(path + " does not exist", e);
    }
    this.size = channel.size();
  }

  @Override
  public String location() { return location; }

  @Override
  public long size() { return size; }

  @Override
  public void readFully(long offset, ByteBuffer dst) throws IOException {
    checkRange(offset, dst.remaining());
    long at = offset;
    while (dst.hasRemaining()) {
      int n = channel.read(dst, at);
      if (n < 0) throw new EOFException(location + " shrank: it ends before " + at);
      at += n;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
