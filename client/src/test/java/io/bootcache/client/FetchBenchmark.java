package io.bootcache.client;

import io.bootcache.node.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * Throughput of cached 4 KiB reads at 64 in flight through one node in this JVM, two ways: issued from
 * one plain thread, and chained on completions (as an async shim would). Not part of the suite (the name
 * does not match surefire's patterns); run it with
 * {@code mvn -o -pl client test -Dtest=FetchBenchmark -Dbench.seconds=10 [-Dbench.streams=2] [-Dbench.concurrency=64]
 * [-Dbench.jfr=/tmp/fetch.jfr]}; the figures are printed to target/surefire-reports/*FetchBenchmark-output.txt.
 */
class FetchBenchmark {
  @TempDir
  Path dir;

  @Test
  void cachedFourKiBReadsAtConcurrency64() throws Exception {
    int seconds = Integer.getInteger("bench.seconds", 10);
    int concurrency = Integer.getInteger("bench.concurrency", 64);
    int size = 16 * 1024 * 1024; // all of it fits the test cluster's cache region
    Path file = dir.resolve("bench.raw");
    TestImages.write(file, size, 1);
    try (LocalCluster cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
         BootCacheClient client = BootCacheClient.builder().nodes(cluster.grpcAddresses())
             .streamsPerNode(Integer.getInteger("bench.streams", 2)).build()) {
      client.registerImage("bench", file.toString(), 0);
      Recorder boot = client.startBoot(Target.image("bench"), "bench");
      for (long off = 0; off < size; off += 1024 * 1024) client.readBlocking(Target.image("bench"), off, 1024 * 1024, boot.sessionId());
      boot.close();

      String jfr = System.getProperty("bench.jfr");
      jdk.jfr.Recording recording = null;
      for (int round = 0; round < 4; round++) { // rounds 0 and 1 warm the JIT
        if (round == 2 && jfr != null) {
          recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
          recording.start();
        }
        boolean chained = round % 2 == 1;
        long hitsBefore = client.clientStats().hits();
        ReadLoad load = chained
            ? ReadLoad.chained(client, Target.image("bench"), concurrency, seconds, ReadLoad.randomBlocks(size))
            : ReadLoad.fromOneThread(client, Target.image("bench"), concurrency, seconds, ReadLoad.randomBlocks(size));
        System.out.printf("round %d (%s): %.0f cached 4 KiB reads/s at concurrency %d through one node, %d failed, %d block hits, %s%n",
            round, chained ? "chained on completions" : "from one thread", load.perSecond(), concurrency, load.failed.get(),
            client.clientStats().hits() - hitsBefore, client.clientStats());
      }
      if (recording != null) {
        recording.dump(Path.of(jfr));
        recording.close();
      }
    }
  }
}
