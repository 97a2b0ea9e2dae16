package io.bootcache.node.read;

import io.bootcache.node.NodeServices;
import org.apache.ignite.Ignite;
import org.apache.ignite.lang.IgniteCallable;
import org.apache.ignite.resources.IgniteInstanceResource;

/** Runs on the node owning a stripe of an image's blocks: loads the stripe's misses there. */
final class LoadJob implements IgniteCallable<LoadedBlocks> {
  private static final long serialVersionUID = 1L;
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
  public LoadedBlocks call() {
    return NodeServices.of(ignite.name()).loader().load(imageId, indexes, admit);
  }
}
