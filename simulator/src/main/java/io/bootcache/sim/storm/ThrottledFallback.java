package io.bootcache.sim.storm;

import io.bootcache.client.BackendReader;
import io.bootcache.client.Target;
import io.bootcache.sim.backend.ThrottledStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * The clients' own fallback to the backend, through the same kind of throttle as everything else,
 * so a read a client had to serve itself is slowed down and counted like any backend read.
 */
final class ThrottledFallback implements BackendReader {
  private final ThrottledStorage storage;
  private final Map<String, Path> files;

  ThrottledFallback(ThrottledStorage storage, Map<String, Path> files) {
    this.storage = storage;
    this.files = Map.copyOf(files);
  }

  @Override
  public ByteBuffer read(Target target, long offset, int length) throws IOException {
    Path file = files.get(target.id());
    if (file == null) throw new IOException("the simulator has no file for " + target);
    try {
      return storage.read(file, offset, length).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof IOException io) throw io;
      throw e;
    }
  }
}
