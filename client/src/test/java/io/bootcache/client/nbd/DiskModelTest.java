package io.bootcache.client.nbd;

import io.bootcache.nbd.NbdServer;
import io.bootcache.nbd.Nbd;
import io.bootcache.nbd.RawNbdClient;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.BootCacheException;
import io.bootcache.client.Recorder;
import io.bootcache.client.Target;
import io.bootcache.client.TestImages;
import io.bootcache.node.LocalCluster;
import io.bootcache.node.NodeConfig;
import io.bootcache.v1.CloneMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A seeded, randomized run of registrations, writes (recorded, and through NBD), stale marks,
 * resyncs, resets, evictions and reads over several images and disks, linked and full. Every read,
 * through the client library or over NBD, is compared with a model of what the target holds: an
 * image's file; a disk's image plus its own writes. A read returns exactly the model's bytes, or, for
 * a linked clone whose layer cannot be trusted, an error: never another target's bytes.
 *
 * <p>{@code -Dmodel.ops=N} and {@code -Dmodel.seed=S} set the run; {@code scripts/model-run.sh} runs
 * long ones over many seeds.
 */
class DiskModelTest {
  static final int OPS = Integer.getInteger("model.ops", 300);
  static final long SEED = Long.getLong("model.seed", 20261201L);
  static final int MAX_DISKS = 8;

  @TempDir
  Path dir;
  LocalCluster cluster;
  BootCacheClient client;
  ClusterCatalog catalog;
  NbdServer server;

  /** What a target holds, as far as its VM is concerned. */
  static final class Model {
    final String id;
    final String imageId;
    final CloneMode mode; // null for an image
    final byte[] content;
    final Path file; // an image's or a full clone's own file; null for a linked clone
    boolean stale;

    Model(String id, String imageId, CloneMode mode, byte[] content, Path file) {
      this.id = id;
      this.imageId = imageId;
      this.mode = mode;
      this.content = content;
      this.file = file;
    }

    boolean isImage() {
      return mode == null;
    }

    Target target() {
      return isImage() ? Target.image(id) : Target.disk(id);
    }

    /** A linked clone whose layer may lack writes has no true source the cluster can serve. */
    boolean mustFail() {
      return stale && mode == CloneMode.LINKED;
    }
  }

  final Map<String, Model> images = new TreeMap<>();
  final Map<String, Model> disks = new TreeMap<>();
  final Map<String, Integer> counts = new TreeMap<>();
  Random rnd;

  @AfterEach
  void stop() {
    if (server != null) server.close();
    if (catalog != null) catalog.close();
    if (client != null) client.close();
    if (cluster != null) cluster.close();
  }

  @Test
  void everyReadIsTheModelsBytesOrAnError() throws Exception {
    rnd = new Random(SEED);
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data"))
        .configure(b -> b.blocksRegionBytes(16 * NodeConfig.MIB).hostTierBytes(4 * NodeConfig.MIB)).start();
    client = BootCacheClient.builder().nodes(cluster.grpcAddresses()).deadline(Duration.ofSeconds(10)).build();
    image("img-a", 1024 * 1024, 4096);
    image("img-b", 2 * 1024 * 1024 + 333, 16384);
    image("img-c", 512 * 1024 + 100, 512);
    image("filler", 24 * 1024 * 1024, 4096);
    catalog = ClusterCatalog.builder(client).journal(dir.resolve("nbd.journal")).refreshInterval(Duration.ofMillis(100)).build();
    server = NbdServer.builder().catalog(catalog).listen("127.0.0.1", 0).start();

    for (int op = 0; op < OPS; op++) {
      int dice = rnd.nextInt(100);
      try {
        if (disks.size() < 2 || (dice < 6 && disks.size() < MAX_DISKS)) registerDisk();
        else if (dice < 56) read();
        else if (dice < 66) recordedWrite();
        else if (dice < 76) nbdWrite();
        else if (dice < 84) markStale();
        else if (dice < 91) resync();
        else if (dice < 95) reset();
        else evict();
      } catch (AssertionError e) {
        throw new AssertionError("seed " + SEED + ", op " + op + ": " + e.getMessage(), e);
      }
    }
    System.out.println("disk model, seed " + SEED + ", " + OPS + " ops: " + counts);
    assertNotEquals(0, counts.getOrDefault("read.checked", 0));
    assertNotEquals(0, counts.getOrDefault("read.refused", 0), "the run never read a stale linked clone");
  }

  void count(String what) {
    counts.merge(what, 1, Integer::sum);
  }

  void image(String id, int size, int blockSize) throws IOException {
    Path file = dir.resolve(id + ".raw");
    byte[] content = TestImages.write(file, size, id.hashCode());
    client.registerImage(id, file.toString(), blockSize);
    if (!id.equals("filler")) images.put(id, new Model(id, id, null, content, file));
  }

  void registerDisk() throws IOException {
    String id = "d" + disks.size();
    Model image = pick(images);
    CloneMode mode = rnd.nextBoolean() ? CloneMode.LINKED : CloneMode.FULL;
    Path file = null;
    if (mode == CloneMode.FULL) {
      file = dir.resolve(id + ".raw");
      Files.write(file, image.content);
    }
    client.registerDisk(id, image.id, mode, file == null ? "" : file.toString());
    disks.put(id, new Model(id, image.id, mode, image.content.clone(), file));
    count("register." + mode);
  }

  void read() throws Exception {
    List<Model> all = new ArrayList<>(images.values());
    all.addAll(disks.values());
    Model m = all.get(rnd.nextInt(all.size()));
    int length = readLength(m.content.length);
    long offset = rnd.nextInt(m.content.length - length + 1);
    byte[] want = TestImages.slice(m.content, offset, length);
    boolean nbd = rnd.nextInt(10) < 4;
    byte[] got = nbd ? nbdRead(m, offset, length) : clientRead(m, offset, length);
    String what = (nbd ? "NBD" : "client") + " read of " + m.target() + " at " + offset + "+" + length;
    if (m.mustFail()) {
      if (got != null) fail(what + ": a stale linked clone served " + (Arrays.equals(got, want) ? "its" : "other") + " bytes");
      count("read.refused");
      return;
    }
    if (got == null) fail(what + " failed; only a stale linked clone may");
    assertArrayEquals(want, got, what);
    count("read.checked");
  }

  /** Boot-shaped: 512 B to 128 KiB, mostly 4 to 16 KiB. */
  int readLength(int max) {
    int[] sizes = {512, 4096, 4096, 8192, 16384, 16384, 65536, 131072, 1 + rnd.nextInt(20_000)};
    return Math.min(max, sizes[rnd.nextInt(sizes.length)]);
  }

  /** The bytes, or null if the read failed. */
  byte[] clientRead(Model m, long offset, int length) {
    try {
      return client.readBlocking(m.target(), offset, length);
    } catch (BootCacheException | CompletionException e) {
      return null;
    }
  }

  byte[] nbdRead(Model m, long offset, int length) throws IOException {
    try (RawNbdClient nbd = new RawNbdClient(server.port()).greet()) {
      nbd.go(m.id);
      nbd.request(Nbd.CMD_READ, 0, 1, offset, length);
      RawNbdClient.SimpleReply r = nbd.readSimpleReply(length);
      return r.error() == 0 ? r.data() : null;
    }
  }

  /** A storage driver's writes to a disk, recorded into its layer (and, for a full clone, written to its file). */
  void recordedWrite() throws IOException {
    Model m = pick(disks);
    Recorder boot = client.startBoot(m.target(), "model");
    for (int i = 1 + rnd.nextInt(3); i > 0; i--) {
      int length = 1 + rnd.nextInt(12_000);
      long offset = rnd.nextInt(m.content.length - length + 1);
      byte[] data = randomBytes(length);
      System.arraycopy(data, 0, m.content, (int) offset, length);
      if (m.file != null) Files.write(m.file, m.content); // the hypervisor writes the clone's own file first
      boot.write(offset, data);
    }
    boot.close();
    count("write.recorded");
  }

  /** A VM's write to a full clone over NBD: into its file, and recorded. */
  void nbdWrite() throws IOException {
    List<Model> full = disks.values().stream().filter(d -> d.mode == CloneMode.FULL).toList();
    if (full.isEmpty()) return;
    Model m = full.get(rnd.nextInt(full.size()));
    int length = 1 + rnd.nextInt(20_000);
    long offset = rnd.nextInt(m.content.length - length + 1);
    byte[] data = randomBytes(length);
    try (RawNbdClient nbd = new RawNbdClient(server.port()).greet()) {
      nbd.go(m.id);
      nbd.request(Nbd.CMD_WRITE, 0, 1, offset, length, data);
      assertEquals(0, nbd.readSimpleReply(0).error(), "NBD write to " + m.id);
    }
    System.arraycopy(data, 0, m.content, (int) offset, length);
    count("write.nbd");
  }

  void markStale() throws Exception {
    Model m = pick(disks);
    client.markStale(m.id, "model: a write was lost").get();
    m.stale = true;
    count("stale." + m.mode);
  }

  /** A full clone from its own file; a linked clone from a raw copy of what its VM holds. */
  void resync() throws IOException {
    Model m = pick(disks);
    if (m.mode == CloneMode.FULL) {
      client.resyncDisk(m.id);
    } else {
      Path raw = dir.resolve(m.id + "-resync.raw");
      Files.write(raw, m.content);
      client.resyncDisk(m.id, raw.toString());
    }
    m.stale = false;
    count("resync." + m.mode);
  }

  void reset() {
    List<Model> linked = disks.values().stream().filter(d -> d.mode == CloneMode.LINKED).toList();
    if (linked.isEmpty()) return;
    Model m = linked.get(rnd.nextInt(linked.size()));
    client.resetDisk(m.id);
    byte[] base = images.get(m.imageId).content;
    System.arraycopy(base, 0, m.content, 0, base.length);
    m.stale = false;
    count("reset");
  }

  /** Boot reads of a large image push the others' blocks out of the 16 MiB region. */
  void evict() {
    Recorder boot = client.startBoot(Target.image("filler"), "model");
    for (long off = 0; off < 24L * 1024 * 1024; off += 1024 * 1024) {
      client.readBlocking(Target.image("filler"), off, 1024 * 1024, boot.sessionId());
    }
    boot.close();
    count("evict");
  }

  Model pick(Map<String, Model> from) {
    List<Model> all = new ArrayList<>(from.values());
    return all.get(rnd.nextInt(all.size()));
  }

  byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }
}
