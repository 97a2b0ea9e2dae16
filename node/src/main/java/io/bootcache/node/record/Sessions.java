package io.bootcache.node.record;

import com.google.protobuf.InvalidProtocolBufferException;
import io.bootcache.node.ApiError;
import io.bootcache.node.NodeMetrics;
import io.bootcache.node.catalog.Ids;
import io.bootcache.node.cluster.Caches;
import io.bootcache.v1.BootSession;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.ignite.Ignite;
import org.apache.ignite.IgniteCache;

/**
 * Open boot sessions, cluster-wide. A read that names an open session is admitted into the cache;
 * one that names an unknown, ended or expired session is still served, just not admitted: a VM's
 * read never fails over bookkeeping.
 */
public final class Sessions {
  /** A DNS name's length. */
  static final int MAX_HOST_CHARS = 253;
  private final IgniteCache<String, byte[]> sessions;
  private final Duration window;
  private final NodeMetrics metrics;
  private final int maxSessions;
  /** session id -> deadline (ms), so fetches check admission without a cluster round trip. */
  private final Map<String, Long> deadlines = new ConcurrentHashMap<>();

  public Sessions(Ignite ignite, Duration window, NodeMetrics metrics, int maxSessions) {
    this.maxSessions = maxSessions;
    this.sessions = ignite.cache(Caches.SESSIONS);
    this.window = window;
    this.metrics = metrics;
  }

  /** Opens a boot session of an image ({@code diskId} empty) or a disk of {@code size} bytes. */
  public BootSession start(String imageId, String diskId, long size, String host) {
    if (host.length() > MAX_HOST_CHARS) {
      throw ApiError.invalid("host name of " + host.length() + " characters: at most " + MAX_HOST_CHARS);
    }
    if (sessions.size() >= maxSessions) {
      throw ApiError.exhausted(maxSessions + " boot sessions are kept, the most this cluster keeps (--max-sessions): "
          + "each goes a minute after its boot window; or start the nodes with a higher --max-sessions");
    }
    long now = System.currentTimeMillis();
    BootSession s = BootSession.newBuilder()
        .setId("s-" + UUID.randomUUID())
        .setImageId(imageId)
        .setDiskId(diskId)
        .setHost(host)
        .setSize(size)
        .setStartedAtMs(now)
        .setDeadlineMs(now + window.toMillis())
        .build();
    sessions.put(s.getId(), s.toByteArray());
    deadlines.put(s.getId(), s.getDeadlineMs());
    metrics.bootStarted(imageId);
    return s;
  }

  public BootSession get(String id) {
    Ids.check("session", id);
    byte[] bytes = sessions.get(id);
    if (bytes == null) throw ApiError.notFound("no boot session " + id + " is open (it ended, expired or never was)");
    try {
      return BootSession.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt session record " + id, e);
    }
  }

  /** Records how many blocks the session's recorder reported (its Record stream ended). */
  public void setBlocksRead(String id, long blocks) {
    while (true) {
      byte[] old = sessions.get(id);
      if (old == null) return;
      BootSession s;
      try {
        s = BootSession.parseFrom(old);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("corrupt session record " + id, e);
      }
      if (sessions.replace(id, old, s.toBuilder().setBlocksRead(blocks).build().toByteArray())) return;
    }
  }

  /** Like {@link #admits}, but null where only the cluster could tell (a session this node has not seen). */
  public Boolean admitsIfKnown(String id) {
    if (id.isEmpty()) return false;
    Long deadline = deadlines.get(id);
    return deadline == null ? null : System.currentTimeMillis() < deadline;
  }

  /** Whether reads tagged with this session id are admitted into the cache now. */
  public boolean admits(String id) {
    if (id.isEmpty()) return false;
    Long deadline = deadlines.get(id);
    if (deadline == null) {
      Ids.check("session", id);
      byte[] bytes = sessions.get(id);
      if (bytes == null) return false;
      try {
        BootSession s = BootSession.parseFrom(bytes);
        deadline = s.getEndedAtMs() > 0 ? s.getEndedAtMs() : s.getDeadlineMs();
      } catch (InvalidProtocolBufferException e) {
        return false;
      }
      if (deadlines.size() > 100_000) deadlines.clear();
      deadlines.put(id, deadline);
    }
    return System.currentTimeMillis() < deadline;
  }

  /**
   * Ends the session, once: it admits nothing more, and stays known (until it expires) so that
   * ending it again, a retry, answers the same. Returns the ended session.
   */
  public BootSession end(String id) {
    return end(id, System.currentTimeMillis());
  }

  /**
   * Ends the session as of {@code lastActiveMs}: a boot that went idle ended at its last request, not
   * when the idleness was noticed. Its time from start to end is counted as a boot's duration.
   */
  public BootSession end(String id, long lastActiveMs) {
    while (true) {
      BootSession s = get(id);
      if (s.getEndedAtMs() > 0) return s;
      long now = System.currentTimeMillis();
      BootSession ended = s.toBuilder().setEndedAtMs(Math.max(now, s.getStartedAtMs())).build();
      if (sessions.replace(id, s.toByteArray(), ended.toByteArray())) {
        deadlines.put(id, ended.getEndedAtMs());
        long lasted = Math.max(0, Math.min(now, lastActiveMs) - s.getStartedAtMs());
        metrics.bootEnded(TimeUnit.MILLISECONDS.toNanos(lasted));
        return ended;
      }
    }
  }
}
