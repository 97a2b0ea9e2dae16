package io.bootcache.sim.nbd;

import io.bootcache.nbd.client.NbdConnection;
import io.bootcache.sim.storm.Verifier;
import io.bootcache.sim.workload.BootScript;
import io.bootcache.sim.workload.IoRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Replays the reads of one boot over one connection as fast as the server answers: in the boot's
 * order, each issued once fewer than its depth (or {@code inFlight}, when set) are in flight, each
 * timed from issue to the end of its reply, and checked against the file when a verifier is given.
 * Writes are skipped and counted.
 *
 * <p>An answer issues the next reads right on the connection's reader thread, so that a read at one
 * in flight costs no thread hand-off in the client.
 */
final class BootReplay {
  private final NbdConnection connection;
  private final BootScript boot;
  private final List<IoRequest> reads;
  private final int inFlight;
  private final Verifier verifier;
  private long total;
  private long issued;
  private int outstanding;
  private boolean pumping;
  private long[] latencies = new long[1024];
  private int count;
  private long bytes;
  private long errors;
  private String firstError;

  /** {@code inFlight}: reads in flight at most, or 0 for each read's own depth in the boot. */
  BootReplay(NbdConnection connection, BootScript boot, int inFlight, Verifier verifier) {
    this.connection = connection;
    this.boot = boot;
    this.reads = boot.requests().stream().filter(r -> !r.write()).toList();
    this.inFlight = inFlight;
    this.verifier = verifier;
  }

  /** Replays every read {@code passes} times, and returns once all are answered. */
  synchronized void run(int passes) throws InterruptedException {
    total = (long) passes * reads.size();
    issued = 0;
    pump();
    while (issued < total || outstanding > 0) wait();
  }

  /** Issues every read that has room; an answer that arrives meanwhile leaves the issuing to the loop. */
  private synchronized void pump() {
    if (pumping) return;
    pumping = true;
    try {
      while (issued < total) {
        IoRequest r = reads.get((int) (issued % reads.size()));
        if (outstanding >= (inFlight > 0 ? inFlight : r.depth())) break;
        issued++;
        outstanding++;
        issue(r);
      }
    } finally {
      pumping = false;
    }
    if (issued == total && outstanding == 0) notifyAll();
  }

  private void issue(IoRequest r) {
    long started = System.nanoTime();
    connection.read(r.offset(), r.length()).whenComplete((data, error) -> {
      long latency = System.nanoTime() - started;
      synchronized (this) {
        if (error != null) {
          failed("read " + r.offset() + "+" + r.length() + " failed: " + error.getMessage());
        } else {
          answered(r, data, latency);
        }
        outstanding--;
        pump();
      }
    });
  }

  private void answered(IoRequest r, ByteBuffer data, long latency) {
    if (count == latencies.length) latencies = Arrays.copyOf(latencies, count * 2);
    latencies[count++] = latency;
    bytes += r.length();
    if (verifier != null && !verifier.check(boot.name(), 0, r.offset(), r.length(), data)) {
      failed("read " + r.offset() + "+" + r.length() + " returned bytes that differ from the file");
    }
  }

  private void failed(String why) {
    errors++;
    if (firstError == null) firstError = boot.name() + ": " + why;
  }

  /** The answered reads' latencies in nanoseconds, in answer order. */
  synchronized long[] latencies() { return Arrays.copyOf(latencies, count); }
  synchronized long bytes() { return bytes; }
  synchronized long errors() { return errors; }
  synchronized String firstError() { return firstError; }
  long writesPerPass() { return boot.requests().size() - reads.size(); }
}
