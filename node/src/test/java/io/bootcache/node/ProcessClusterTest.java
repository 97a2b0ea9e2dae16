package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.GetStatsRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three nodes as separate JVM processes on loopback: the honest multi-host test. */
class ProcessClusterTest {
  @TempDir Path dir;
  final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killAll() {
    processes.forEach(Process::destroyForcibly);
  }

  /** Starts a node process; completes once it serves. */
  CompletableFuture<Void> startNode(int i, int base, int grpcPort, int adminPort) throws Exception {
    NodeProcess node = NodeProcess.start(List.of("-Xmx256m"), List.of(
        "--name", "proc-" + i, "--grpc-port", "" + grpcPort, "--admin-port", "" + adminPort,
        "--discovery-port", "" + base, "--communication-port", "" + (base + 10),
        "--seed", "127.0.0.1:" + base + ".." + (base + 4),
        "--data-dir", dir.resolve("node-" + i).toString(), "--memory", "32m", "--meta-memory", "48m", "--host-memory", "64m"));
    processes.add(node.process);
    return node.up;
  }

  @Test
  void threeProcessesFormOneClusterServeFromAnyNodeAndSurviveLosingOne() throws Exception {
    int base = Ports.freeRange(30);
    int[] grpc = {base + 20, base + 21, base + 22};
    int[] admin = {base + 23, base + 24, base + 25};
    List<CompletableFuture<Void>> up = new ArrayList<>();
    for (int i = 0; i < 3; i++) up.add(startNode(i, base, grpc[i], admin[i]));
    CompletableFuture.allOf(up.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

    int size = 4 << 20;
    Path file = TestFiles.random(dir, "golden.raw", size, 77);
    byte[] content = Files.readAllBytes(file);
    try (GrpcTestClient t = new GrpcTestClient()) {
      List<BootCacheGrpcClient> nodes = new ArrayList<>();
      for (int port : grpc) nodes.add(t.to("127.0.0.1:" + port));
      for (BootCacheGrpcClient n : nodes) assertEquals(3, await(n.getStats(GetStatsRequest.getDefaultInstance())).getClusterNodes());

      await(nodes.get(0).registerImage(RegisterImageRequest.newBuilder().setId("golden").setLocation(file.toString()).build()));
      String session = await(nodes.get(1).startBoot(StartBootRequest.newBuilder().setImageId("golden").build())).getId();
      int chunk = 256 * 1024;
      for (int off = 0; off < size; off += chunk) {
        var r = await(nodes.get((off / chunk) % 3).fetch(image("golden", off, chunk).toBuilder().setSessionId(session).build()));
        assertArrayEquals(Arrays.copyOfRange(content, off, off + chunk), verifiedRange(r, off, chunk));
      }
      long backendBytes = 0;
      for (BootCacheGrpcClient n : nodes) backendBytes += await(n.getStats(GetStatsRequest.getDefaultInstance())).getBackendBytes();
      assertEquals(size, backendBytes, "each block read from the backend once, by its owner");
      var stats = GrpcTestClient.settledStats(nodes.get(2));
      assertEquals(size / 4096, stats.getCachedBlocks(), "blocks partitioned over the three nodes, counted once");

      // a second read hits on every node; /metrics says so
      var hit = await(nodes.get(2).fetch(image("golden", 0, 65536)));
      assertEquals(16, hit.getHits());
      String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin[2] + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(metrics.contains("bootcache_block_hits_total 16"), metrics);
      assertTrue(metrics.contains("bootcache_cluster_nodes 3"), metrics);

      // lose a node: its partitions' backups take over, every byte still right
      processes.get(2).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      long deadline = System.currentTimeMillis() + 60_000;
      while (await(nodes.get(0).getStats(GetStatsRequest.getDefaultInstance())).getClusterNodes() != 2) {
        assertTrue(System.currentTimeMillis() < deadline, "the cluster never noticed the lost node");
        Thread.sleep(200);
      }
      for (int off = 0; off < size; off += chunk) {
        var r = await(nodes.get((off / chunk) % 2).fetch(image("golden", off, chunk)));
        assertArrayEquals(Arrays.copyOfRange(content, off, off + chunk), verifiedRange(r, off, chunk));
        assertEquals(chunk / 4096, r.getHits(), "backups kept the blocks of the lost node");
      }
    }
  }

}
