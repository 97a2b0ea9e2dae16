package io.bootcache.node;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's own threads, apart from Vert.x's event loops and Ignite's pools: workers for cluster
 * calls, the read path's resolvers, backend readers, and the admissions that follow their reads.
 * Workers may block on reads, so the read path never runs on them: 8 writes merging partial blocks
 * at once would otherwise wait for a resolver that waits for a worker.
 */
record NodeThreads(ExecutorService workers, ExecutorService reads, ExecutorService backend, ExecutorService admissions) {

  static NodeThreads start(String nodeName) {
    int cores = Runtime.getRuntime().availableProcessors();
    return new NodeThreads(
        pool(nodeName, "worker", Math.max(8, 4 * cores)),
        pool(nodeName, "read", 4),
        pool(nodeName, "backend", 16),
        pool(nodeName, "admit", 1));
  }

  private static ExecutorService pool(String nodeName, String role, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "bootcache-" + role + "-" + nodeName + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  void close() {
    workers.shutdownNow();
    reads.shutdownNow();
    backend.shutdownNow();
    admissions.shutdownNow();
  }
}
