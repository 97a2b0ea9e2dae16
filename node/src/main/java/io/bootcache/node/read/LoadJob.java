package io.bootcache.node.read;

import io.bootcache.node.ApiError;
import io.bootcache.node.NodeServices;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ignite.Ignite;
import org.apache.ignite.lang.IgniteCallable;
import org.apache.ignite.resources.IgniteInstanceResource;

/** Runs on the node owning a stripe of an image's blocks: loads the stripe's misses there. */
final class LoadJob implements IgniteCallable<LoadedBlocks> {
  private static final long serialVersionUID = 2L;
  private static final long WAIT_SECONDS = 60;
  private final String imageId;
  private final long[] indexes;
  private final boolean admit;
  @IgniteInstanceResource
  private transient Ignite ignite;

  LoadJob(String imageId, long[] indexes, boolean admit) {
    this.imageId = imageId;
    this.indexes = indexes;
    this.admit = admit;
  }

  @Override
  public LoadedBlocks call() throws InterruptedException {
    try {
      return new LoadedBlocks(NodeServices.of(ignite).loader().load(imageId, indexes, admit).get(WAIT_SECONDS, TimeUnit.SECONDS));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw ApiError.unavailable("loading blocks of image " + imageId + " failed: " + e.getCause());
    } catch (TimeoutException e) {
      throw ApiError.unavailable("blocks of image " + imageId + " took over " + WAIT_SECONDS + " s to load");
    }
  }
}
