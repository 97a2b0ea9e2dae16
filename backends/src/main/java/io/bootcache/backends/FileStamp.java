package io.bootcache.backends;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;

/**
 * A file's size and modification time (ns): the cheap sign, one stat, that an image file's content
 * may have changed since it was pinned. The node and the client's fallback both check it.
 */
public record FileStamp(long size, long mtimeNanos) {
  public static FileStamp of(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    return new FileStamp(a.size(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS));
  }

  public FileTime modified() {
    return FileTime.from(mtimeNanos, TimeUnit.NANOSECONDS);
  }
}
