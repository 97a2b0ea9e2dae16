package io.bootcache.client.consistency;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.BootCacheException;
import io.bootcache.client.Target;
import io.bootcache.client.TestImages;
import io.bootcache.client.WriteSequence;
import io.bootcache.client.partition.NetworkNamespaces;
import io.bootcache.client.partition.NodeHosts;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A long randomized consistency run in the spirit of Jepsen, seeded: readers check every read of
 * images and disks (linked and full clones) against a model while writers write the disks, the
 * blocks region is too small for the images (so blocks are evicted and read again), one node is
 * killed with -9 and started again, and another is cut off (a network namespace's link, where this
 * machine can make them; SIGSTOP elsewhere) and started again when it exits, as a supervisor would.
 *
 * <p>The model of a disk is its image plus its writes, applied once acknowledged. A read may fail, or
 * be refused (a linked clone the cluster cannot vouch for), but every 4 KiB piece it returns must be
 * the model's: as it was when the read began or ended, or with the write then in flight applied.
 *
 * <p>{@code ConsistencyRunTest} runs a short one; {@code scripts/consistency-run.sh [READS] [SEED]} a long one.
 */
public final class ConsistencyRun {
  static final int IMAGE_BYTES = 12 << 20;
  static final int PIECE = 4096;
  static final int READERS = 8;

  /** An image or a disk, as its VM sees it. */
  static final class Model {
    final String id;
    final boolean disk;
    final CloneMode mode; // null for an image
    final byte[] content;
    final Path file; // an image's or a full clone's own file
    Write pending; // guarded by this

    Model(String id, boolean disk, CloneMode mode, byte[] content, Path file) {
      this.id = id;
      this.disk = disk;
      this.mode = mode;
      this.content = content;
      this.file = file;
    }

    Target target() { return disk ? Target.disk(id) : Target.image(id); }
  }

  record Write(long offset, byte[] data) {
    @Override
    public String toString() {
      return offset + "+" + data.length;
    }
  }

  /** The model's bytes of a range, and the write in flight then. */
  record Snapshot(byte[] bytes, Write pending) {}

  /** What the run saw. */
  public record Result(long checked, long wrong, long errors, long refused, long worstMs, long writes, List<String> faults,
      String firstWrong, String firstError) {
    public String summary() {
      return String.format("consistency: %,d reads checked, wrong %d, errors %d, refused %d, worst latency %d ms, "
          + "%,d writes, faults injected: %s", checked, wrong, errors, refused, worstMs, writes, String.join("; ", faults));
    }
  }

  private final long reads;
  private final long seed;
  private final Path dir;
  private final Path logs;
  private final List<Model> models = new ArrayList<>();
  private final AtomicLong checked = new AtomicLong();
  private final AtomicLong wrong = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong worstNanos = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<String> faults = new ArrayList<>();
  private volatile String firstWrong;
  private volatile String firstError;

  public ConsistencyRun(long reads, long seed, Path dir, Path logs) {
    this.reads = reads;
    this.seed = seed;
    this.dir = dir;
    this.logs = logs;
  }

  public Result run() throws Exception {
    // -Dconsistency.netns=false: loopback and SIGSTOP even where namespaces can be made
    boolean namespaces = Boolean.parseBoolean(System.getProperty("consistency.netns", "true"))
        && NetworkNamespaces.unavailable().isEmpty();
    Random rnd = new Random(seed);
    try (NodeHosts hosts = NodeHosts.start(dir.resolve("nodes"), logs, namespaces, "16m");
         BootCacheClient client = BootCacheClient.builder().nodes(hosts.grpcAddresses())
             .deadline(Duration.ofSeconds(2)).adminDeadline(Duration.ofSeconds(10)).build()) {
      register(client, rnd);
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < READERS; i++) threads.add(thread("reader-" + i, () -> readLoop(client, new Random(seed * 31 + threadSeed()))));
      for (Model m : models) if (m.disk) threads.add(thread("writer-" + m.id, () -> writeLoop(client, m, new Random(seed * 17 + m.id.hashCode()))));
      threads.forEach(Thread::start);
      try {
        injectFaults(hosts, rnd);
        awaitReads(reads);
      } finally {
        running.set(false);
        for (Thread t : threads) t.join(60_000);
      }
      noteStaleDisks(client);
    }
    return new Result(checked.get(), wrong.get(), errors.get(), refused.get(), worstNanos.get() / 1_000_000, writes.get(),
        faults, firstWrong, firstError);
  }

  /** Each disk the run ends with stale, and the first reason its record gives: what a long run wants explained. */
  private void noteStaleDisks(BootCacheClient client) {
    try {
      for (Disk d : client.disks()) {
        if (d.getState() == DiskState.STALE) note("stale at the end: " + d.getId() + " (" + d.getStaleReason() + ")");
      }
    } catch (RuntimeException e) {
      note("could not list the disks at the end: " + e.getMessage());
    }
  }

  private final AtomicLong threadSeeds = new AtomicLong();

  private long threadSeed() { return threadSeeds.incrementAndGet(); }

  private static Thread thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  /** Two images of different block sizes, and a linked and a full clone of each. */
  private void register(BootCacheClient client, Random rnd) throws IOException {
    int[] blockSizes = {4096, 16384};
    for (int i = 0; i < blockSizes.length; i++) {
      String id = "img-" + i;
      Path file = dir.resolve(id + ".raw");
      byte[] content = TestImages.write(file, IMAGE_BYTES, seed * 100 + i);
      client.registerImage(id, file.toString(), blockSizes[i]);
      models.add(new Model(id, false, null, content, file));
      client.registerDisk(id + "-linked", id, CloneMode.LINKED, "");
      models.add(new Model(id + "-linked", true, CloneMode.LINKED, content.clone(), null));
      Path full = dir.resolve(id + "-full.raw");
      Files.write(full, content);
      client.registerDisk(id + "-full", id, CloneMode.FULL, full.toString());
      models.add(new Model(id + "-full", true, CloneMode.FULL, content.clone(), full));
    }
  }

  /** At a quarter of the reads a node is killed and started again; at a half another is cut off. */
  private void injectFaults(NodeHosts hosts, Random rnd) throws Exception {
    awaitReads(reads / 4);
    int victim = 1 + rnd.nextInt(2);
    hosts.kill(victim);
    fault("node " + victim + " killed (-9)");
    Thread.sleep(2000);
    hosts.startNode(victim).await(" up: ", Duration.ofSeconds(120));
    fault("node " + victim + " restarted");

    awaitReads(reads / 2);
    int cut = victim == 1 ? 2 : 1;
    hosts.partition(cut);
    fault("node " + cut + " partitioned (" + hosts.partitionKind() + ")");
    // as long as it takes the cut node to see that it is alone and exit, or 20 s
    int code = hosts.node(cut).exitCode(Duration.ofSeconds(20));
    if (code >= 0) fault("node " + cut + " exited " + code);
    if (code >= 0 && hosts.namespaces()) {
      hosts.startNode(cut); // restarted during the cut: it waits for its seeds
      Thread.sleep(3000);
    }
    hosts.heal(cut);
    fault("node " + cut + " healed");
    if (!hosts.node(cut).alive() || code >= 0) {
      if (!hosts.node(cut).alive()) hosts.startNode(cut);
      hosts.node(cut).await(" up: ", Duration.ofSeconds(120));
      fault("node " + cut + " rejoined");
    } else {
      // a stopped node that woke: Ignite may find it segmented, and it then exits 75 to be started again
      int late = hosts.node(cut).exitCode(Duration.ofSeconds(15));
      if (late >= 0) {
        fault("node " + cut + " exited " + late + " after it woke");
        hosts.startNode(cut).await(" up: ", Duration.ofSeconds(120));
        fault("node " + cut + " rejoined");
      }
    }
  }

  private synchronized void fault(String what) {
    faults.add(what + " at read " + checked.get());
    note("fault: " + what + " at read " + checked.get());
  }

  /** A line of the output, also appended to progress.txt beside the logs, to watch a long run. */
  private synchronized void note(String line) {
    System.out.println(line);
    try {
      Files.createDirectories(logs);
      Files.writeString(logs.resolve("progress.txt"), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      // the progress file is only for watching
    }
  }

  /** Waits until {@code n} reads are done; fails if none is done for two minutes. */
  private void awaitReads(long n) throws InterruptedException {
    long last = -1;
    long since = System.nanoTime();
    long nextProgress = System.nanoTime();
    long done;
    while ((done = checked.get() + refused.get() + errors.get()) < n) {
      if (System.nanoTime() - nextProgress > 0) {
        note(String.format("progress: %,d reads checked, wrong %d, errors %d, refused %d", checked.get(),
            wrong.get(), errors.get(), refused.get()));
        nextProgress = System.nanoTime() + 30_000_000_000L;
      }
      if (done != last) {
        last = done;
        since = System.nanoTime();
      } else if (System.nanoTime() - since > 120_000_000_000L) {
        throw new IllegalStateException("no read finished for two minutes, at " + done + " (see " + logs + ")");
      }
      Thread.sleep(100);
    }
  }

  private void readLoop(BootCacheClient client, Random rnd) {
    while (running.get()) {
      Model m = models.get(rnd.nextInt(models.size()));
      int length = 512 * (1 + rnd.nextInt(32)); // boot-sized: 512 B to 16 KiB
      long offset = 512L * rnd.nextInt((m.content.length - length) / 512 + 1);
      Snapshot before = snapshot(m, offset, length);
      long start = System.nanoTime();
      byte[] got;
      try {
        got = client.readBlocking(m.target(), offset, length);
      } catch (BootCacheException | CompletionException e) {
        if (m.mode == CloneMode.LINKED) {
          refused.incrementAndGet();
        } else {
          errors.incrementAndGet();
          if (firstError == null) firstError = m.id + " at " + offset + "+" + length + ": " + e.getMessage();
        }
        continue;
      }
      worstNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
      Snapshot after = snapshot(m, offset, length);
      String bad = check(got, offset, before, after);
      if (bad == null) {
        checked.incrementAndGet();
      } else {
        wrong.incrementAndGet();
        String what = m.id + " at " + offset + "+" + length + " (read took " + (System.nanoTime() - start) / 1_000_000
            + " ms; writes in flight before/after: " + before.pending() + " / " + after.pending() + "): " + bad;
        if (firstWrong == null) firstWrong = what;
        note("wrong read: " + what);
      }
    }
  }

  private static Snapshot snapshot(Model m, long offset, int length) {
    synchronized (m) {
      return new Snapshot(Arrays.copyOfRange(m.content, (int) offset, (int) offset + length), m.pending);
    }
  }

  /**
   * Null if every 4 KiB piece of {@code got} is one the model allowed during the read; else which was not.
   * Pieces are aligned to 4 KiB of the disk, not of the read: blocks (4 and 16 KiB here) and pages are
   * each written whole, but a write of several blocks is not one atomic step, so a read that meets it
   * may see one block before it and the next after it, as on any block device.
   */
  static String check(byte[] got, long offset, Snapshot before, Snapshot after) {
    List<byte[]> allowed = new ArrayList<>(List.of(before.bytes(), after.bytes()));
    if (before.pending() != null) allowed.add(applied(before.bytes(), offset, before.pending()));
    if (after.pending() != null) allowed.add(applied(after.bytes(), offset, after.pending()));
    for (int from = 0; from < got.length; ) {
      int to = (int) Math.min(got.length, (offset + from) / PIECE * PIECE + PIECE - offset);
      boolean ok = false;
      for (byte[] a : allowed) ok |= Arrays.equals(got, from, to, a, from, to);
      if (!ok) return "bytes " + (offset + from) + ".." + (offset + to) + " are none of the model's (by 512 bytes, "
          + "which version each matches, 0 = before, 1 = after, 2/3 = with the write in flight: " + matches(got, from, to, allowed) + ")";
      from = to;
    }
    return null;
  }

  /** For each 512 bytes of got[from, to): the allowed versions it equals, or '-' if none. */
  private static String matches(byte[] got, int from, int to, List<byte[]> allowed) {
    StringBuilder out = new StringBuilder();
    for (int s = from; s < to; s += 512) {
      int e = Math.min(to, s + 512);
      StringBuilder which = new StringBuilder();
      for (int k = 0; k < allowed.size(); k++) if (Arrays.equals(got, s, e, allowed.get(k), s, e)) which.append(k);
      out.append(which.length() == 0 ? "-" : which).append(' ');
    }
    return out.toString().trim();
  }

  private static byte[] applied(byte[] bytes, long offset, Write w) {
    byte[] out = bytes.clone();
    long from = Math.max(offset, w.offset());
    long to = Math.min(offset + bytes.length, w.offset() + w.data().length);
    for (long p = from; p < to; p++) out[(int) (p - offset)] = w.data()[(int) (p - w.offset())];
    return out;
  }

  /** A VM's writes to its disk, one at a time; one that the cluster does not take is tried again. */
  private void writeLoop(BootCacheClient client, Model m, Random rnd) {
    while (running.get()) {
      int length = 1 + rnd.nextInt(12_000);
      long offset = rnd.nextInt(m.content.length - length + 1);
      byte[] data = new byte[length];
      rnd.nextBytes(data);
      Write w = new Write(offset, data);
      synchronized (m) {
        m.pending = w;
      }
      try {
        if (m.file != null) writeFile(m.file, offset, data); // the hypervisor writes the clone's own file first
        long seq = WriteSequence.next();
        while (true) {
          try {
            client.recordWrite(m.id, offset, data, seq);
            break;
          } catch (BootCacheException e) {
            if (!running.get()) return; // left in flight: either bytes remain allowed
            Thread.sleep(200);
          }
        }
        synchronized (m) {
          System.arraycopy(data, 0, m.content, (int) offset, length);
          m.pending = null;
        }
        writes.incrementAndGet();
        Thread.sleep(20);
      } catch (IOException | InterruptedException e) {
        errors.incrementAndGet();
        if (firstError == null) firstError = "write to " + m.id + ": " + e;
        return;
      }
    }
  }

  private static void writeFile(Path file, long offset, byte[] data) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      f.write(data);
    }
  }
}
