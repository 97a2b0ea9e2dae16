package io.bootcache.sim.storm;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** One VM's boot disk as a mode serves it: reads, the writes it is told about, and the end of the boot. */
public interface VmIo {
  /** The bytes [offset, offset + length) of the image. */
  CompletableFuture<ByteBuffer> read(long offset, int length);

  /** The VM wrote this range (into its own overlay); a mode may record it. */
  default void wrote(long offset, int length) {}

  /** The boot is over. */
  default void close() {}
}
