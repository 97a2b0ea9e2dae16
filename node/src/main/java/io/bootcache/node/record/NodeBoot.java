package io.bootcache.node.record;

import io.bootcache.v1.BootSession;
import io.bootcache.v1.Image;
import java.util.concurrent.TimeUnit;

/**
 * One boot recorded on this node, for a VM the node serves itself (over its own NBD): the boot
 * session, and the blocks the boot reads with when it first read them. Its reads are admitted into
 * the cache while it lasts. It ends once, at the first of: the connection closes, the VM goes idle,
 * the boot window closes; then the reads fold into the image's boot profile.
 */
public final class NodeBoot {
  private final Sessions sessions;
  private final ProfileStore profiles;
  private final Image image;
  private final BootSession session;
  private final long startNanos = System.nanoTime();
  private final FirstTouches touches = new FirstTouches(); // guarded by this
  private volatile long lastRequestNanos = startNanos;
  private volatile boolean over;

  private NodeBoot(Sessions sessions, ProfileStore profiles, Image image, BootSession session) {
    this.sessions = sessions;
    this.profiles = profiles;
    this.image = image;
    this.session = session;
  }

  /** Opens the boot session of an image, or of a disk ({@code diskId}) of {@code size} bytes. Blocking. */
  public static NodeBoot start(Sessions sessions, ProfileStore profiles, Image image, String diskId, long size, String host) {
    return new NodeBoot(sessions, profiles, image, sessions.start(image.getId(), diskId, size, host));
  }

  public BootSession session() {
    return session;
  }

  /** Whether the boot still lasts: its reads are recorded and their misses admitted. */
  public boolean lasts() {
    return !over;
  }

  /** A read of [offset, offset + length): recorded while the boot lasts. */
  public void read(long offset, long length) {
    lastRequestNanos = System.nanoTime();
    if (over) return;
    int bs = image.getBlockSize();
    int t = (int) TimeUnit.NANOSECONDS.toMillis(lastRequestNanos - startNanos);
    synchronized (this) {
      touches.touch(offset / bs, (offset + length - 1) / bs, t);
    }
  }

  /** A write: only keeps the boot from going idle. */
  public void wrote() {
    lastRequestNanos = System.nanoTime();
  }

  /** True when nothing was asked for {@code idleNanos}, or the boot window closed. */
  public boolean due(long nowNanos, long idleNanos) {
    return nowNanos - lastRequestNanos > idleNanos || System.currentTimeMillis() >= session.getDeadlineMs();
  }

  /** Ends the boot, once: its reads fold into the image's profile, and the session ends. Blocking. */
  public void end() {
    FirstTouches read;
    synchronized (this) {
      if (over) return;
      over = true;
      read = touches;
    }
    if (!read.isEmpty()) {
      profiles.merge(image.getId(), image.getBlockSize(), read);
      sessions.setBlocksRead(session.getId(), read.size());
    }
    // the boot lasted until its last request: idleness is noticed later
    long idleNanos = System.nanoTime() - lastRequestNanos;
    sessions.end(session.getId(), System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(idleNanos));
  }
}
