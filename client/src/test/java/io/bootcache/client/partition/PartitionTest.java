package io.bootcache.client.partition;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Target;
import io.bootcache.client.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes, each a JVM in a network namespace of its own (a host), joined by a bridge; the first
 * host also runs {@code bootcache nbd} for its VMs. The test cuts that host off the network and reads
 * through its NBD server throughout: every read is its image's bytes (from the cluster, then from
 * the image's file once no node answers). The cut node, below half of its cluster, exits 75; started
 * again during the cut it waits for its seeds instead of forming a cluster alone; once the link is
 * back it rejoins and serves. Needs root and {@code ip netns}; skipped, saying why, elsewhere.
 */
class PartitionTest {
  static final int SIZE = 8 << 20;
  static final String GRPC = "7400";
  /** The processes' output, kept after the run. */
  static final Path LOGS = Path.of("target", "partition-logs");

  @TempDir Path dir;
  NetworkNamespaces hosts;
  Path logs;
  final List<HostProcess> processes = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (HostProcess p : processes) p.close();
    if (hosts != null) hosts.close();
  }

  HostProcess node(int i) throws Exception {
    String seeds = String.join(",", hosts.address(0) + ":47500", hosts.address(1) + ":47500", hosts.address(2) + ":47500");
    HostProcess p = HostProcess.java("node-" + i + "-" + processes.size(), "256m", "io.bootcache.node.Main", List.of(
        "--name", "part-" + i, "--bind", hosts.address(i), "--insecure", "--grpc-port", GRPC, "--admin-port", "7401",
        "--discovery-port", "47500", "--communication-port", "47100", "--seed", seeds,
        "--data-dir", dir.resolve("node-" + i).toString(), "--memory", "32m", "--meta-memory", "48m", "--host-memory", "16m"),
        cmd -> hosts.exec(i, cmd), logs);
    processes.add(p);
    return p;
  }

  BootCacheClient client(int i) {
    return BootCacheClient.builder().node(hosts.address(i) + ":" + GRPC).deadline(Duration.ofSeconds(5)).build();
  }

  /** What a VM (a {@link VmReads} process) has seen so far, from its last report. */
  record VmSeen(long checked, long wrong, long errors, long worstMs, String problem) {
    static VmSeen of(HostProcess vm) {
      String line = vm.lastLine("vm: ");
      if (line == null) return new VmSeen(0, 0, 0, 0, "-");
      Map<String, String> f = new HashMap<>();
      for (String kv : line.substring(4).split(" ")) {
        int eq = kv.indexOf('=');
        f.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
      return new VmSeen(Long.parseLong(f.get("checked")), Long.parseLong(f.get("wrong")), Long.parseLong(f.get("errors")),
          Long.parseLong(f.get("worst_ms")), f.get("problem"));
    }
  }

  /** Waits until the VM has checked {@code more} reads past what it had. */
  static VmSeen awaitMore(HostProcess vm, long more, Duration within) throws InterruptedException {
    long want = VmSeen.of(vm).checked() + more;
    long deadline = System.nanoTime() + within.toNanos();
    VmSeen seen;
    while ((seen = VmSeen.of(vm)).checked() < want) {
      assertTrue(System.nanoTime() < deadline, "the VM's reads stalled: " + seen + " (see " + vm.log() + ")");
      Thread.sleep(100);
    }
    return seen;
  }

  @Test
  @Timeout(240)
  void aCutHostReadsItsImagesFromTheFileItsNodeExits75WaitsForItsSeedsAndRejoins() throws Exception {
    Optional<String> why = NetworkNamespaces.unavailable();
    assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse(""));
    hosts = NetworkNamespaces.create(3);
    logs = LOGS.resolve(hosts.namespace(0));

    HostProcess first = node(0);
    first.await(" up: ", Duration.ofSeconds(90));
    HostProcess second = node(1);
    HostProcess third = node(2);
    second.await(" up: ", Duration.ofSeconds(90));
    third.await(" up: ", Duration.ofSeconds(90));

    Path image = dir.resolve("golden.raw");
    byte[] content = TestImages.write(image, SIZE, 31);
    try (BootCacheClient majority = client(1)) {
      assertEquals(3, majority.stats().getClusterNodes());
      majority.registerImage("golden", image.toString(), 4096);

      // host 0's NBD server and a VM reading through it, both inside host 0
      HostProcess nbd = HostProcess.java("nbd-0", "128m", "io.bootcache.cli.Main", List.of("nbd",
          "--node", hosts.address(0) + ":" + GRPC + "," + hosts.address(1) + ":" + GRPC + "," + hosts.address(2) + ":" + GRPC,
          "--listen", "127.0.0.1:10809", "--journal", dir.resolve("nbd0.journal").toString(), "--refresh", "1",
          "--read-deadline", "1000", "--deadline", "2"), cmd -> hosts.exec(0, cmd), logs);
      processes.add(nbd);
      nbd.await("serving on", Duration.ofSeconds(60));
      HostProcess vm = HostProcess.java("vm-0", "64m", VmReads.class.getName(),
          List.of("127.0.0.1", "10809", "golden", image.toString(), "9"), cmd -> hosts.exec(0, cmd), logs);
      processes.add(vm);
      awaitMore(vm, 50, Duration.ofSeconds(60));

      // the cut: host 0 loses its link; its node is below half of three and exits 75
      long cut = System.nanoTime();
      hosts.cut(0);
      int code = first.exitCode(Duration.ofSeconds(60));
      long exitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut);
      assertEquals(75, code, "the cut node's exit code (see " + first.log() + ")");
      assertTrue(first.printed("cut off from its cluster") || first.printed("fewer than half"), "says why it exits");
      awaitServers(majority, 2);
      assertArrayEquals(TestImages.slice(content, 0, 1 << 20), majority.readBlocking(Target.image("golden"), 0, 1 << 20),
          "the majority serves on");

      // started again during the cut (as its supervisor would), it waits for its seeds: no cluster of one
      HostProcess restarted = node(0);
      restarted.await("joins through its seeds only", Duration.ofSeconds(60));
      // the first reads wait out the read deadline on the two unreachable nodes, which are then skipped: reads go to the file
      awaitMore(vm, 15, Duration.ofSeconds(90));
      assertTrue(restarted.alive(), "the restarted node keeps waiting (see " + restarted.log() + ")");
      assertFalse(restarted.printed(" up: "), "a cut node must not form a cluster alone");

      // healed: it joins the others and serves again
      long healed = System.nanoTime();
      hosts.heal(0);
      restarted.await(" up: ", Duration.ofSeconds(90));
      long rejoinMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healed);
      try (BootCacheClient back = client(0)) {
        assertEquals(3, back.stats().getClusterNodes());
        assertArrayEquals(TestImages.slice(content, SIZE - (1 << 20), 1 << 20),
            back.readBlocking(Target.image("golden"), SIZE - (1 << 20), 1 << 20), "the rejoined node serves");
      }
      VmSeen seen = awaitMore(vm, 50, Duration.ofSeconds(60));

      System.out.printf("partition: %d reads checked through bootcache nbd on the cut host, %d wrong, %d errors, "
              + "worst %d ms; node exited %d %.1f s after the cut, rejoined %.1f s after the heal%n",
          seen.checked(), seen.wrong(), seen.errors(), seen.worstMs(), code, exitedMs / 1000.0, rejoinMs / 1000.0);
      assertEquals(0, seen.wrong(), "wrong bytes: " + seen.problem());
      assertEquals(0, seen.errors(), "errors: " + seen.problem());
    }
  }

  static void awaitServers(BootCacheClient client, int want) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (client.stats().getClusterNodes() != want) {
      assertTrue(System.nanoTime() < deadline, "the cluster never came to " + want + " servers");
      Thread.sleep(250);
    }
  }
}
