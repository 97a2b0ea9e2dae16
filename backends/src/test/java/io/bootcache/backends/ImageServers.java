package io.bootcache.backends;

import io.bootcache.nbd.client.Nbdkit;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The real servers an image may live on, for the tests: nbdkit over loopback TCP and over a Unix
 * socket, and an HTTP server with ranges, all serving the files of one directory by their names.
 */
public final class ImageServers implements AutoCloseable {
  public final Nbdkit nbdTcp;
  public final Nbdkit nbdUnix;
  public final RangeHttpServer http;

  /** Serves the files of {@code images}; nbdkit's sockets and logs go to {@code work}. */
  public ImageServers(Path work, Path images) throws IOException, InterruptedException {
    // file dir=: each file is an export by its name, and an unknown name is refused
    nbdTcp = Nbdkit.tcp(work, "--readonly", "file", "dir=" + images);
    nbdUnix = new Nbdkit(work, "--readonly", "file", "dir=" + images);
    http = new RangeHttpServer(images);
  }

  public String nbd(String name) {
    return nbdTcp.uri(name);
  }

  public String nbdUnix(String name) {
    return nbdUnix.uri(name);
  }

  public String http(String name) {
    return http.url(name);
  }

  @Override
  public void close() throws InterruptedException {
    nbdTcp.close();
    nbdUnix.close();
    http.close();
  }
}
