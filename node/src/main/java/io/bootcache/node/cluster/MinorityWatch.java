package io.bootcache.node.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;
import org.apache.ignite.Ignite;
import org.apache.ignite.events.DiscoveryEvent;
import org.apache.ignite.events.Event;
import org.apache.ignite.events.EventType;
import org.apache.ignite.lang.IgnitePredicate;

/**
 * Keeps a node that is cut off from most of its cluster from serving as a cluster of its own: the
 * disk layers it would serve alone miss the writes the others take. It follows how many servers the
 * cluster is expected to have (the most it has seen, less those that left cleanly) and, when fewer
 * than half of them remain in this node's view, hands a message to {@code onMinority} (the node's
 * process exits 75 and its supervisor starts it again; it then rejoins through its seeds).
 *
 * <p>The expected count is kept in the data directory ({@value #FILE}), so that a node started again
 * during a cut waits for its seeds instead of forming a cluster alone. The last node of a cluster
 * to stop cleanly removes the file: it may begin the cluster again on its own.
 */
public final class MinorityWatch implements AutoCloseable {
  public static final String FILE = "cluster-size";
  private static final int[] EVENTS = {EventType.EVT_NODE_JOINED, EventType.EVT_NODE_LEFT, EventType.EVT_NODE_FAILED};

  private final Ignite ignite;
  private final Path file;
  private final Consumer<String> onMinority;
  private final IgnitePredicate<Event> listener = this::onEvent;
  private int expected;

  private MinorityWatch(Ignite ignite, Path dataDir, Consumer<String> onMinority) {
    this.ignite = ignite;
    this.file = dataDir.resolve(FILE);
    this.onMinority = onMinority;
  }

  /** Watches the topology from now on; checks it once at once. */
  public static MinorityWatch start(Ignite ignite, Path dataDir, Consumer<String> onMinority) {
    MinorityWatch watch = new MinorityWatch(ignite, dataDir, onMinority);
    synchronized (watch) {
      watch.expected = Math.max(recorded(dataDir), servers(ignite));
      watch.record();
    }
    ignite.events().localListen(watch.listener, EVENTS);
    watch.check(servers(ignite));
    return watch;
  }

  /** The cluster size recorded in a data directory: 0 if none (the node may begin a cluster alone). */
  public static int recorded(Path dataDir) {
    try {
      return Integer.parseInt(Files.readString(dataDir.resolve(FILE), StandardCharsets.US_ASCII).trim());
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException | NumberFormatException e) {
      // a file that cannot be read says at least that there was a cluster: wait for the seeds
      return 2;
    }
  }

  private boolean onEvent(Event event) {
    int servers = (int) ((DiscoveryEvent) event).topologyNodes().stream().filter(n -> !n.isClient()).count();
    synchronized (this) {
      if (event.type() == EventType.EVT_NODE_JOINED) expected = Math.max(expected, servers);
      // a server that left cleanly is no longer expected back; a failed one is
      if (event.type() == EventType.EVT_NODE_LEFT && !((DiscoveryEvent) event).eventNode().isClient()) {
        expected = Math.max(servers, expected - 1);
      }
      record();
    }
    check(servers);
    return true;
  }

  private void check(int servers) {
    int want;
    synchronized (this) {
      want = expected;
    }
    if (servers * 2 < want) {
      onMinority.accept(String.format("bootcache node %s sees %d of the %d servers of its cluster, fewer than half: "
          + "it stops serving rather than serve disk layers that miss the others' writes", ignite.name(), servers, want));
    }
  }

  private static int servers(Ignite ignite) {
    return ignite.cluster().forServers().nodes().size();
  }

  private void record() {
    try {
      Path tmp = file.resolveSibling(FILE + ".tmp");
      Files.writeString(tmp, expected + "\n", StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the cluster size in " + file, e);
    }
  }

  /** Stops watching, before the node stops cleanly; the last server of its cluster forgets the size. */
  @Override
  public void close() {
    ignite.events().stopLocalListen(listener, EVENTS);
    if (servers(ignite) <= 1) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove " + file, e);
      }
    }
  }
}
