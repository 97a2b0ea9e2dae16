package io.bootcache.sim.storm;

import io.bootcache.sim.backend.ThrottledStorage;
import io.bootcache.sim.workload.BootScript;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** No cache: every VM read goes to the throttled shared storage. */
public final class DirectMode implements StormMode {
  private final ThrottledStorage storage;
  private final List<Path> imageFiles;

  public DirectMode(ThrottledStorage storage, List<Path> imageFiles) {
    this.storage = storage;
    this.imageFiles = List.copyOf(imageFiles);
  }

  @Override
  public String name() {
    return "no cache";
  }

  @Override
  public VmIo open(BootScript script, int vm, int host) {
    Path file = imageFiles.get(script.image());
    return new VmIo() {
      @Override
      public CompletableFuture<ByteBuffer> read(long offset, int length) {
        return storage.read(file, offset, length);
      }
    };
  }

  @Override
  public BackendCounters counters() {
    return new BackendCounters(storage.reads(), storage.bytes(), 0, 0, 0, 0);
  }

  @Override
  public long[] exactReadsPerSecond() {
    return storage.readsPerSecond();
  }

  @Override
  public void startCounting(long startNanos) {
    storage.resetCounters(startNanos);
  }
}
