package io.bootcache.sim.workload;

import java.util.BitSet;
import java.util.List;

/** What one VM does while it boots: its requests in order, against one image. */
public record BootScript(String name, int image, List<IoRequest> requests) {
  public BootScript {
    requests = List.copyOf(requests);
  }

  public long reads() {
    return requests.stream().filter(r -> !r.write()).count();
  }

  public long writes() {
    return requests.stream().filter(IoRequest::write).count();
  }

  public long readBytes() {
    return requests.stream().filter(r -> !r.write()).mapToLong(IoRequest::length).sum();
  }

  /** Sum of think times: how long the boot takes when every read is instant. */
  public long thinkMicros() {
    return requests.stream().mapToLong(IoRequest::gapMicros).sum();
  }

  /** Marks the {@code blockSize} blocks this boot reads. */
  public void readBlocks(BitSet into, int blockSize) {
    for (IoRequest r : requests) {
      if (r.write()) continue;
      into.set((int) (r.offset() / blockSize), (int) ((r.end() + blockSize - 1) / blockSize));
    }
  }

  /** The highest byte offset any request touches. */
  public long maxEnd() {
    return requests.stream().mapToLong(IoRequest::end).max().orElse(0);
  }
}
