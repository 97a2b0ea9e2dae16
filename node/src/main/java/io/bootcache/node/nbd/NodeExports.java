package io.bootcache.node.nbd;

import io.bootcache.nbd.ExportCatalog;
import io.bootcache.nbd.NbdExport;
import io.bootcache.node.ApiError;
import io.bootcache.node.NodeServices;
import io.bootcache.node.record.NodeBoot;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's images and disks as NBD exports of this node, named by their ids, read from the
 * catalog as it is now. Each connection is a boot session, ended when the connection closes, or when
 * it has been idle for {@code idleTimeout}, or when the boot window closes.
 */
public final class NodeExports implements ExportCatalog, AutoCloseable {
  private final NodeServices node;
  private final long idleNanos;
  private final Set<ExportSession> open = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bootcache-nbd-boots");
    t.setDaemon(true);
    return t;
  });

  public NodeExports(NodeServices node, Duration idleTimeout) {
    this.node = node;
    this.idleNanos = idleTimeout.toNanos();
    long tick = Math.max(50, Math.min(1000, idleTimeout.toMillis() / 4));
    timer.scheduleWithFixedDelay(this::endDueBoots, tick, tick, TimeUnit.MILLISECONDS);
  }

  @Override
  public List<NbdExport> list() {
    Map<String, Image> images = new HashMap<>();
    List<NbdExport> out = new ArrayList<>();
    for (Image i : node.catalog().images()) {
      images.put(i.getId(), i);
      out.add(new TargetExport(this, i, null));
    }
    for (Disk d : node.catalog().disks()) {
      Image image = images.get(d.getImageId());
      if (image != null && !images.containsKey(d.getId())) out.add(new TargetExport(this, image, d));
    }
    return out;
  }

  @Override
  public Optional<NbdExport> find(String name) {
    try {
      return Optional.of(new TargetExport(this, node.catalog().image(name), null));
    } catch (ApiError notAnImage) {
      // one namespace: if no image holds the name, a disk may
    }
    try {
      Disk disk = node.catalog().disk(name);
      return Optional.of(new TargetExport(this, node.catalog().image(disk.getImageId()), disk));
    } catch (ApiError none) {
      return Optional.empty();
    }
  }

  /** A connection to the export: its boot session starts now. */
  ExportSession open(TargetExport export, String peer) {
    Disk disk = export.disk();
    NodeBoot boot = NodeBoot.start(node.sessions(), node.profiles(), export.image(), disk == null ? "" : disk.getId(),
        export.size(), peer);
    node.prefetcher().boot(export.image());
    ExportSession session = new ExportSession(node, export, boot, open::remove);
    open.add(session);
    return session;
  }

  /** Boots in progress on this node's NBD connections. */
  public int openBoots() {
    return (int) open.stream().filter(s -> s.boot().lasts()).count();
  }

  private void endDueBoots() {
    long now = System.nanoTime();
    for (ExportSession s : open) {
      NodeBoot boot = s.boot();
      if (boot.lasts() && boot.due(now, idleNanos)) node.workers().execute(boot::end);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    for (ExportSession s : open) s.boot().end();
  }
}
