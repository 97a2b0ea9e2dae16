package io.bootcache.node.read;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.Ignition;
import org.apache.ignite.cluster.ClusterState;
import org.apache.ignite.configuration.CacheConfiguration;
import org.apache.ignite.configuration.DataRegionConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.configuration.WALMode;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.management.OperatingSystemMXBean;

/**
 * The choice behind the disk tier: the same boot working set (4 KiB blocks) kept on local disk by
 * Ignite native persistence and by {@link DiskTier}, then read back after a restart. Prints wall and
 * CPU seconds of each phase (this JVM's CPU, from the OS) and the bytes on disk. Not part of the suite
 * (the name does not match surefire's patterns); run it with
 * {@code mvn -o -pl node test-compile surefire:test -Dtest=DiskStoreBenchmark [-Dbench.blocks=16384]}.
 */
class DiskStoreBenchmark {
  static final int BLOCK = 4096;
  @TempDir Path dir;

  @Test
  void igniteNativePersistenceAgainstTheSegmentLog() throws Exception {
    int blocks = Integer.getInteger("bench.blocks", 16384);
    byte[][] data = new byte[blocks][BLOCK];
    Random random = new Random(1);
    for (byte[] b : data) random.nextBytes(b);
    System.out.printf("%d blocks of %d bytes (%d MiB)%n", blocks, BLOCK, (long) blocks * BLOCK >> 20);
    for (int round = 0; round < 2; round++) { // round 0 warms the JIT
      for (WALMode wal : List.of(WALMode.FSYNC, WALMode.LOG_ONLY)) {
        Path ignite = dir.resolve("ignite-" + wal + "-" + round);
        Phase put = new Phase();
        try (Ignite node = startIgnite(ignite, wal, true)) {
          IgniteCache<Long, byte[]> cache = node.cache("blocks");
          for (int i = 0; i < blocks; i++) cache.put((long) i, data[i]);
        }
        String ignitePut = put.done();
        Phase restart = new Phase();
        long found = 0;
        try (Ignite node = startIgnite(ignite, wal, false)) {
          IgniteCache<Long, byte[]> cache = node.cache("blocks");
          for (int i = 0; i < blocks; i++) if (cache.get((long) i) != null) found++;
        }
        report(round, "Ignite, WAL " + wal, ignitePut, restart.done(), found, blocks, du(ignite));
      }

      Path log = dir.resolve("log-" + round);
      Phase put = new Phase();
      try (DiskTier tier = DiskTier.open(log, 1L << 30)) {
        for (int i = 0; i < blocks; i++) tier.offer("image@1", Block.hashed(i, ByteBuffer.wrap(data[i])));
        tier.flush();
      }
      String tierPut = put.done();
      Phase restart = new Phase();
      long found = 0;
      try (DiskTier tier = DiskTier.open(log, 1L << 30)) {
        for (int i = 0; i < blocks; i++) if (tier.lookUp("image@1", i) != null) found++;
      }
      String tierRead = restart.done();
      report(round, "DiskTier", tierPut, tierRead, found, blocks, du(log));
    }
  }

  static void report(int round, String store, String put, String read, long found, int blocks, long bytes) {
    if (round == 0) return;
    System.out.printf("%-20s write+close %s | open+read all %s | %d/%d found | %.2f bytes on disk per byte kept%n",
        store, put, read, found, blocks, (double) bytes / ((long) blocks * BLOCK));
  }

  /** The wall and CPU seconds since it was made. */
  static final class Phase {
    final long wall = System.nanoTime();
    final long cpu = cpu();

    String done() {
      return String.format("%.2f s wall, %.2f s CPU", (System.nanoTime() - wall) / 1e9, (cpu() - cpu) / 1e9);
    }

    static long cpu() {
      return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
  }

  /** One Ignite node keeping a blocks cache in a persistent region, as the node's durable region does. */
  static Ignite startIgnite(Path work, WALMode wal, boolean fresh) {
    TcpDiscoveryVmIpFinder finder = new TcpDiscoveryVmIpFinder(false);
    finder.setAddresses(List.of("127.0.0.1:47700"));
    IgniteConfiguration cfg = new IgniteConfiguration()
        .setIgniteInstanceName("bench")
        .setConsistentId("bench")
        .setWorkDirectory(work.toString())
        .setDiscoverySpi(new TcpDiscoverySpi().setLocalAddress("127.0.0.1").setLocalPort(47700).setIpFinder(finder))
        .setDataStorageConfiguration(new DataStorageConfiguration()
            .setWalMode(wal)
            .setDefaultDataRegionConfiguration(new DataRegionConfiguration()
                .setName("durable").setPersistenceEnabled(true).setMaxSize(256L << 20)))
        .setCacheConfiguration(new CacheConfiguration<Long, byte[]>("blocks"));
    Ignite ignite = Ignition.start(cfg);
    if (fresh) ignite.cluster().state(ClusterState.ACTIVE);
    return ignite;
  }

  static long du(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
