package io.bootcache.node;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Whether the host tier fits in the JVM's direct memory with room left for the network. The host
 * tier's slabs and Netty's socket buffers (gRPC, NBD) share {@code -XX:MaxDirectMemorySize}; a host
 * tier that fills it leaves Netty unable to allocate, and NBD connections drop once the tier is full,
 * long after the start. A node process checks this before it starts, instead.
 */
public final class DirectMemory {
  /**
   * Direct memory kept for the network besides the host tier: the margin the Helm chart gives too
   * ({@code -XX:MaxDirectMemorySize} = host tier + 128 MiB). Netty's pooled allocator takes direct
   * memory in 4 MiB chunks, one or more per arena, and makes up to two arenas per core: 128 MiB is one
   * chunk for each arena of a 16-core host. (Nodes under stalled fetch and NBD streams used 12 MiB,
   * see SlowReaderTest; the fetch and NBD queues hold heap bytes or host-tier slices, not more.)
   */
  public static final long NETWORK_BYTES = 128L << 20;

  private DirectMemory() {}

  /** The JVM's direct-memory cap: {@code -XX:MaxDirectMemorySize}, or the heap cap when it is not set (0). */
  public static long max() {
    long set = 0;
    try {
      HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      if (hotspot != null) set = Long.parseLong(hotspot.getVMOption("MaxDirectMemorySize").getValue());
    } catch (IllegalArgumentException e) {
      // not a HotSpot JVM, or no such option: the JDK's default rule below
    }
    return set > 0 ? set : Runtime.getRuntime().maxMemory();
  }

  /** Null when a host tier of this size fits under {@code maxDirect} with the network's margin; else what to change. */
  public static String shortfall(long hostTierBytes, long maxDirect) {
    long needed = hostTierBytes + NETWORK_BYTES;
    if (needed <= maxDirect) return null;
    return "--host-memory " + mib(hostTierBytes) + " does not fit in the JVM's direct memory: it needs "
        + mib(hostTierBytes) + " plus " + mib(NETWORK_BYTES) + " for network buffers, and the JVM has " + mib(maxDirect)
        + " (-XX:MaxDirectMemorySize, or the heap cap -Xmx when that is not set); start the JVM with"
        + " -XX:MaxDirectMemorySize=" + ((needed + (1 << 20) - 1) >> 20) + "m or more, or give --host-memory less";
  }

  private static String mib(long bytes) {
    return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : String.format("%.1f MiB", bytes / (double) (1 << 20));
  }
}
