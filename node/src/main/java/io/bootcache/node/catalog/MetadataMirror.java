package io.bootcache.node.catalog;

import io.bootcache.node.cluster.Caches;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.EventType;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;
import org.apache.ignite.IgniteException;
import org.apache.ignite.cache.query.ContinuousQuery;
import org.apache.ignite.cache.query.QueryCursor;
import org.apache.ignite.cache.query.ScanQuery;

/**
 * Every node keeps the cluster's images, disks, block manifests and boot profiles in its own data directory, not only
 * the node that handled a change: each node follows their caches with a continuous query (the
 * records already there, then every change) and writes what it sees, one file at a time, in order.
 */
public final class MetadataMirror implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MetadataMirror.class.getName());
  /** Cache name and the data directory's folder of the same records. */
  private static final List<String[]> MIRRORED = List.of(
      new String[] {Caches.IMAGES, "images"}, new String[] {Caches.DISKS, "disks"}, new String[] {Caches.PROFILES, "profiles"},
      new String[] {Caches.MANIFESTS, BlockManifests.KIND});

  private final MetadataFiles files;
  private final ExecutorService writer;
  private final List<QueryCursor<Cache.Entry<String, byte[]>>> cursors;

  private MetadataMirror(MetadataFiles files, ExecutorService writer, List<QueryCursor<Cache.Entry<String, byte[]>>> cursors) {
    this.files = files;
    this.writer = writer;
    this.cursors = cursors;
  }

  /** Starts following the caches; the records already in them are written first. */
  public static MetadataMirror start(Ignite ignite, MetadataFiles files, String nodeName) {
    ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "bootcache-metadata-" + nodeName);
      t.setDaemon(true);
      return t;
    });
    MetadataMirror mirror = new MetadataMirror(files, writer, new ArrayList<>());
    for (String[] m : MIRRORED) mirror.follow(ignite.cache(m[0]), m[1]);
    return mirror;
  }

  private void follow(IgniteCache<String, byte[]> cache, String kind) {
    ContinuousQuery<String, byte[]> q = new ContinuousQuery<>();
    q.setInitialQuery(new ScanQuery<>());
    q.setLocalListener(events -> {
      for (CacheEntryEvent<? extends String, ? extends byte[]> e : events) {
        if (e.getEventType() == EventType.REMOVED || e.getEventType() == EventType.EXPIRED) {
          String id = e.getKey();
          writer.execute(() -> write(kind, id, null));
        } else {
          String id = e.getKey();
          byte[] value = e.getValue();
          writer.execute(() -> write(kind, id, value));
        }
      }
    });
    QueryCursor<Cache.Entry<String, byte[]>> cursor;
    try {
      cursor = cache.query(q);
      for (Cache.Entry<String, byte[]> existing : cursor) {
        String id = existing.getKey();
        byte[] value = existing.getValue();
        writer.execute(() -> write(kind, id, value));
      }
    } catch (CacheException e) {
      // partitions on disk-cache nodes that are away (a restart): the files hold them; follow the changes
      LOG.warning("cannot read every " + kind + " now (" + e.getMessage() + "); keeping the files there are and following changes");
      q.setInitialQuery(null);
      cursor = cache.query(q);
    }
    cursors.add(cursor);
  }

  private void write(String kind, String id, byte[] value) {
    try {
      if (value == null) files.delete(kind, id); else files.save(kind, id, value);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "cannot keep " + kind + " " + id + " in the data directory", e);
    }
  }

  @Override
  public void close() {
    for (QueryCursor<?> c : cursors) {
      try {
        c.close();
      } catch (IgniteException e) {
        // the Ignite node stopped first (killed in a test, or halted): its queries went with it
      }
    }
    writer.shutdown();
  }
}
