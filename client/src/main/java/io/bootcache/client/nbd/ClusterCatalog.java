package io.bootcache.client.nbd;

import io.bootcache.nbd.NbdExport;
import io.bootcache.nbd.ExportCatalog;
import io.bootcache.client.BootCacheClient;
import io.bootcache.client.Target;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

/**
 * The cluster's images and disks as NBD exports, named by their ids: images and linked-clone disks
 * read-only, full-clone disks read-write. The list is refreshed from ListImages/ListDisks at most once
 * per {@code refreshInterval} (and at once for a name it does not know yet); when the cluster cannot be
 * reached the last list it gave stays in use, so exports keep being served while it is down.
 * An export object lives as long as its image or disk is unchanged, so all connections to it share it.
 */
public final class ClusterCatalog implements ExportCatalog, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ClusterCatalog.class.getName());

  private static final Duration UNKNOWN_NAME_REFRESH = Duration.ofMillis(500);

  private final BootCacheClient client;
  private final BootSessions sessions;
  private final ReadThrottle throttle;
  private final AcknowledgedWrites writes;
  private final ScheduledExecutorService retells = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "nbd-stale-marks");
    t.setDaemon(true);
    return t;
  });
  private final Duration refreshInterval;
  private final ExportListCache cache; // null: none
  private volatile Map<String, NbdExport> exports = Map.of();
  private volatile long refreshedAtNanos;
  private volatile boolean everListed;
  /** Exports replaced by a newer registration; connections may still use them until they close. */
  private final List<NbdExport> retired = new ArrayList<>(); // guarded by this
  private volatile boolean lastRefreshFailed;

  private ClusterCatalog(Builder b) {
    this.client = Objects.requireNonNull(b.client, "client");
    this.sessions = new BootSessions(client, b.idleTimeout, b.sessionStartWait);
    this.throttle = new ReadThrottle(b.maxClusterReadBytes);
    this.writes = new AcknowledgedWrites(client, new StaleJournal(b.journal), retells);
    this.refreshInterval = b.refreshInterval;
    this.cache = b.exportCache == null ? null : new ExportListCache(b.exportCache);
    refresh();
    if (!everListed && cache != null) {
      cache.load().ifPresent(s -> {
        LOG.warning("serving the " + (s.images().size() + s.disks().size()) + " exports of " + cache.file()
            + " until the cluster answers");
        synchronized (this) {
          apply(s.images(), s.disks());
        }
      });
    }
  }

  /** The exports of the cluster {@code client} talks to. */
  public static Builder builder(BootCacheClient client) {
    return new Builder(client);
  }

  @Override
  public List<NbdExport> list() {
    refreshIfDue();
    return List.copyOf(exports.values());
  }

  @Override
  public Optional<NbdExport> find(String name) {
    refreshIfDue();
    NbdExport e = exports.get(name);
    if (e == null && (!lastRefreshFailed || System.nanoTime() - refreshedAtNanos > UNKNOWN_NAME_REFRESH.toNanos())) {
      refresh(); // it may have been registered a moment ago (but do not hammer a cluster that is down)
      e = exports.get(name);
    }
    return Optional.ofNullable(e);
  }

  /** True when no connection's reads are being recorded any more (every boot ended). */
  boolean bootsEnded() {
    return sessions.allBootsOver();
  }

  private void refreshIfDue() {
    if (System.nanoTime() - refreshedAtNanos > refreshInterval.toNanos()) {
      refresh();
    }
  }

  /** Lists images and disks; on failure keeps the previous list. */
  synchronized void refresh() {
    List<Image> images;
    List<Disk> disks;
    try {
      images = client.images();
      disks = client.disks();
    } catch (RuntimeException e) {
      refreshedAtNanos = System.nanoTime(); // do not hammer a cluster that is down
      if (!lastRefreshFailed) {
        LOG.warning("cannot list images and disks (" + e.getMessage() + "); serving the "
            + (everListed ? "last known list of " + exports.size() + " exports" : "exports known so far"));
      }
      lastRefreshFailed = true;
      return;
    }
    if (lastRefreshFailed) {
      LOG.info("listing images and disks works again");
    }
    lastRefreshFailed = false;
    apply(images, disks);
    everListed = true;
    if (cache != null) {
      try {
        cache.save(images, disks);
      } catch (IOException | RuntimeException e) {
        LOG.warning("cannot save the export list to " + cache.file() + ": " + e.getMessage());
      }
    }
  }

  /** Makes these lists the exports, keeping the export objects of unchanged images and disks. */
  private void apply(List<Image> images, List<Disk> disks) {
    Map<String, NbdExport> old = exports;
    Map<String, NbdExport> next = new LinkedHashMap<>();
    for (Image image : images) {
      NbdExport e = old.get(image.getId());
      boolean same = e instanceof ClusterExport c && !c.target().isDisk() && c.size() == image.getSize()
          && c.blockSize() == image.getBlockSize();
      next.put(image.getId(), same ? e : new ClusterExport(client, sessions, throttle, Target.image(image.getId()),
          image.getSize(), image.getBlockSize()));
    }
    for (Disk disk : disks) {
      if (next.containsKey(disk.getId())) {
        // The cluster keeps one namespace; a node that did not would make the name ambiguous,
        // and serving either would hand a VM another target's bytes.
        LOG.warning("id " + disk.getId() + " names both an image and a disk: neither is exported");
        next.remove(disk.getId());
        continue;
      }
      next.put(disk.getId(), diskExport(old.get(disk.getId()), disk));
    }
    for (Map.Entry<String, NbdExport> e : old.entrySet()) {
      if (next.get(e.getKey()) != e.getValue()) {
        retired.add(e.getValue());
      }
    }
    exports = next;
    refreshedAtNanos = System.nanoTime();
  }

  /** A full clone with a file it can open is served read-write; any other disk read-only. */
  private NbdExport diskExport(NbdExport previous, Disk disk) {
    boolean full = disk.getMode() == CloneMode.FULL && !disk.getLocation().isEmpty();
    if (full) {
      if (previous instanceof FullCloneExport f && sameDisk(f.disk(), disk)) {
        return f;
      }
      try {
        return new FullCloneExport(client, sessions, throttle, writes, disk);
      } catch (IOException | RuntimeException e) {
        LOG.warning("full-clone disk " + disk.getId() + ": cannot open its file " + disk.getLocation()
            + " read-write (" + e.getMessage() + "); serving it read-only through the cluster");
      }
    }
    if (previous instanceof ClusterExport c && c.target().isDisk() && c.size() == disk.getSize()) {
      return c;
    }
    return new ClusterExport(client, sessions, throttle, Target.disk(disk.getId()), disk.getSize(), disk.getBlockSize());
  }

  /** Same file, size and generation: a re-registered disk (new generation) starts a fresh layer. */
  private static boolean sameDisk(Disk a, Disk b) {
    return a.getLocation().equals(b.getLocation()) && a.getSize() == b.getSize()
        && a.getGeneration() == b.getGeneration();
  }

  private static void closeQuietly(NbdExport e) {
    if (e instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  @Override
  public void close() {
    retells.shutdownNow();
    sessions.close();
    exports.values().forEach(ClusterCatalog::closeQuietly);
    synchronized (this) {
      retired.forEach(ClusterCatalog::closeQuietly);
    }
  }

  public static final class Builder {
    private final BootCacheClient client;
    private Duration idleTimeout = Duration.ofSeconds(30);
    private Duration sessionStartWait = Duration.ofSeconds(1);
    private Duration refreshInterval = Duration.ofSeconds(5);
    private Path exportCache;
    private Path journal = Path.of("bootcache-nbd.journal");
    private long maxClusterReadBytes = 16L << 20;

    private Builder(BootCacheClient client) {
      this.client = client;
    }

    /** A boot ends after this long without requests on its connection. Default 30 s. */
    public Builder idleTimeout(Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("idleTimeout must be positive");
      }
      idleTimeout = d;
      return this;
    }

    /** How long the first reads of a connection wait for its boot session to start. Default 1 s. */
    public Builder sessionStartWait(Duration d) {
      sessionStartWait = d;
      return this;
    }

    /** The export list is fetched again at most this often. Default 5 s. */
    public Builder refreshInterval(Duration d) {
      refreshInterval = d;
      return this;
    }

    /** A file keeping the last export list, used when the server starts while the cluster is down. */
    /**
     * The local journal of disks whose layer lacks a write this server acknowledged (the cluster could
     * not take it): forced to disk before the acknowledgement, read back at start. Default
     * {@code bootcache-nbd.journal} in the working directory.
     */
    public Builder journal(Path file) {
      journal = Objects.requireNonNull(file);
      return this;
    }

    public Builder exportCache(Path file) {
      exportCache = file;
      return this;
    }

    /**
     * Bytes of reads in flight to the cluster, over all exports and connections; more wait in this
     * server, where waiting does not count against the read deadline. Default 16 MiB.
     */
    public Builder maxClusterReadBytes(long bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxClusterReadBytes must be positive");
      }
      maxClusterReadBytes = bytes;
      return this;
    }

    public ClusterCatalog build() {
      return new ClusterCatalog(this);
    }
  }
}
