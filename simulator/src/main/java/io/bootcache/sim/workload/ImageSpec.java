package io.bootcache.sim.workload;

import java.nio.file.Path;

/**
 * One image of a storm: its id on the cluster, its size, and either the seed of the content the
 * simulator writes for it or an existing file given by the user.
 */
public record ImageSpec(String id, long size, long seed, Path givenFile) {
  public boolean generated() {
    return givenFile == null;
  }
}
