package io.bootcache.client;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads bytes straight from the backend, without the cluster: the client's fallback when no node
 * answers. Called from the client's own blocking-I/O threads, never from an event loop.
 */
public interface BackendReader extends AutoCloseable {

  /**
   * Exactly the bytes [offset, offset + length) of the target's true content.
   *
   * @throws BootCacheException for a range past the end (OUT_OF_RANGE) or an unknown target (NOT_FOUND)
   * @throws IOException        when the backend cannot be read
   */
  ByteBuffer read(Target target, long offset, int length) throws IOException;

  @Override
  default void close() throws IOException {}
}
