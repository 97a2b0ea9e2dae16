package io.bootcache.node.record;

import io.bootcache.node.read.BlockReader;
import io.bootcache.node.read.BootOrder;
import io.bootcache.node.read.ReadRequest;
import io.bootcache.node.read.ReadResult;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.Image;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Prefetch on boot: when a boot opens an image that has a boot profile, this node reads the profile's
 * blocks in first-touch order into its host tier, ahead of the VM, a few runs at a time. Misses go
 * through the loader like any other, so the backend's rate limit holds and every block is read from
 * the backend once; blocks held already cost a look-up. One prefetch per image at a time per node.
 */
public final class Prefetcher {
  private static final Logger LOG = Logger.getLogger(Prefetcher.class.getName());
  /** Runs read at once: enough to keep ahead of a VM, few enough to leave the backend to it. */
  static final int WINDOW = 4;

  private final BlockReader reader;
  private final ProfileStore profiles;
  private final Executor workers;
  private final Set<String> running = ConcurrentHashMap.newKeySet();

  public Prefetcher(BlockReader reader, ProfileStore profiles, Executor workers) {
    this.reader = reader;
    this.profiles = profiles;
    this.workers = workers;
  }

  /** A boot of the image began on this node: prefetch its profile, unless a prefetch of it runs already. */
  public void boot(Image image) {
    if (!running.add(image.getId())) return;
    workers.execute(() -> {
      try {
        prefetch(image);
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "prefetch of image " + image.getId() + " stopped", e);
      } finally {
        running.remove(image.getId());
      }
    });
  }

  private void prefetch(Image image) {
    BootProfile profile = profiles.get(image.getId(), image.getBlockSize());
    if (profile.getBoots() == 0) return;
    Semaphore window = new Semaphore(WINDOW);
    for (BootOrder.Run run : BootOrder.runs(profile, 0)) {
      long offset = run.firstBlock() * image.getBlockSize();
      long length = Math.min((long) run.blocks() * image.getBlockSize(), image.getSize() - offset);
      window.acquireUninterruptibly();
      reader.read(new ReadRequest(image, null, offset, length, ReadRequest.Admission.PREFETCH))
          .whenComplete((r, e) -> {
            if (r != null) r.release();
            window.release();
          });
    }
    window.acquireUninterruptibly(WINDOW); // the last runs
  }

  /** Whether a prefetch of the image runs on this node now. */
  public boolean running(String imageId) {
    return running.contains(imageId);
  }
}
