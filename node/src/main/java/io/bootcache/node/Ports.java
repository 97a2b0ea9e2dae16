package io.bootcache.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Free ports on the loopback address, for local clusters and tests. */
public final class Ports {
  private Ports() {}

  /** The first of {@code length} consecutive free ports, from a random start so parallel runs differ. */
  public static int freeRange(int length) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 45_000);
      if (allFree(base, length)) return base;
    }
    throw new IllegalStateException("no free run of " + length + " ports found on 127.0.0.1");
  }

  private static boolean allFree(int base, int length) {
    for (int p = base; p < base + length; p++) {
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }
}
