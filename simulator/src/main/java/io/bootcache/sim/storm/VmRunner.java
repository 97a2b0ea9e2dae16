package io.bootcache.sim.storm;

import io.bootcache.sim.workload.BootScript;
import io.bootcache.sim.workload.IoRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Plays one VM's boot script against a mode: a request is issued when its think time since the
 * previous issue has passed and fewer than its depth are in flight, so a slow disk delays
 * everything after it, as in a real boot. Writes land in the VM's own overlay (as with a qcow2
 * overlay): later reads of written sectors are served from it, the rest from the mode. Every byte
 * read from the mode is verified against the image file.
 */
final class VmRunner {
  private static final int SECTOR = 512;

  private final int vm;
  private final int host;
  private final BootScript script;
  private final List<IoRequest> requests;
  private final StormMode mode;
  private final Verifier verifier;
  private final Tally tally;
  private final ScheduledExecutorService timer;
  private final Executor work;
  private final Executor sessions;
  private final CountDownLatch done;
  private VmIo io;
  private BitSet written;
  private long powerOnNanos;
  private long lastIssueNanos;
  private int next;
  private int inFlight;
  private boolean wakeScheduled;
  private boolean finished;

  VmRunner(int vm, int host, BootScript script, StormMode mode, Verifier verifier, Tally tally,
      ScheduledExecutorService timer, Executor work, Executor sessions, CountDownLatch done) {
    this.vm = vm;
    this.host = host;
    this.script = script;
    this.requests = script.requests();
    this.mode = mode;
    this.verifier = verifier;
    this.tally = tally;
    this.timer = timer;
    this.work = work;
    this.sessions = sessions;
    this.done = done;
  }

  /** Powers the VM on; {@code powerOnNanos} is when it was due to, the origin of its boot time. */
  void start(long powerOnNanos) {
    this.powerOnNanos = powerOnNanos;
    try {
      io = mode.open(script, vm, host);
    } catch (Exception e) {
      tally.error(script.name() + " could not open its disk: " + e);
      synchronized (this) {
        finishLocked(true);
      }
      return;
    }
    synchronized (this) {
      lastIssueNanos = System.nanoTime();
      pump();
    }
  }

  private void wake() {
    synchronized (this) {
      wakeScheduled = false;
      pump();
    }
  }

  /** Issues every request that is due and has room; must hold the lock. */
  private void pump() {
    while (!finished && next < requests.size()) {
      IoRequest r = requests.get(next);
      if (inFlight >= r.depth()) return; // a completion pumps again
      long now = System.nanoTime();
      long due = lastIssueNanos + r.gapMicros() * 1000;
      if (now < due) {
        if (!wakeScheduled) {
          wakeScheduled = true;
          timer.schedule(() -> work.execute(this::wake), due - now, TimeUnit.NANOSECONDS);
        }
        return;
      }
      next++;
      lastIssueNanos = now;
      if (r.write()) {
        write(r);
      } else {
        read(r, now);
      }
    }
    if (next == requests.size() && inFlight == 0) finishLocked(false);
  }

  private void write(IoRequest r) {
    if (written == null) written = new BitSet();
    written.set((int) (r.offset() / SECTOR), (int) ((r.end() + SECTOR - 1) / SECTOR));
    tally.writes.increment();
    io.wrote(r.offset(), r.length());
  }

  private void read(IoRequest r, long issuedNanos) {
    List<long[]> parts = unwritten(r.offset(), r.length());
    if (parts.isEmpty()) {
      tally.localReads.increment();
      return;
    }
    inFlight++;
    int[] outstanding = {parts.size()};
    for (long[] part : parts) {
      long off = part[0];
      int len = (int) part[1];
      io.read(off, len).whenCompleteAsync((data, err) -> {
        if (err != null) {
          tally.error(script.name() + " read " + off + "+" + len + " failed: " + err);
        } else if (!verifier.check(script.name(), script.image(), off, len, data)) {
          tally.error(script.name() + " read " + off + "+" + len + " returned wrong bytes");
        }
        long latency = System.nanoTime() - issuedNanos;
        synchronized (this) {
          tally.read(script.image(), off, len, latency);
          if (--outstanding[0] == 0) {
            inFlight--;
            pump();
          }
        }
      }, work);
    }
  }

  /** The runs of [offset, offset+length) this VM has not overwritten, as (offset, length). */
  private List<long[]> unwritten(long offset, int length) {
    List<long[]> parts = new ArrayList<>(1);
    long end = offset + length;
    if (written == null || written.nextSetBit((int) (offset / SECTOR)) < 0
        || written.nextSetBit((int) (offset / SECTOR)) * (long) SECTOR >= end) {
      parts.add(new long[] {offset, length});
      return parts;
    }
    long pos = offset;
    while (pos < end) {
      int sector = (int) (pos / SECTOR);
      if (written.get(sector)) {
        pos = Math.min(end, (long) written.nextClearBit(sector) * SECTOR);
        continue;
      }
      long stop = Math.min(end, (long) written.nextSetBit(sector) * SECTOR);
      if (written.nextSetBit(sector) < 0) stop = end;
      parts.add(new long[] {pos, stop - pos});
      pos = stop;
    }
    return parts;
  }

  private void finishLocked(boolean failed) {
    if (finished) return;
    finished = true;
    double ms = (System.nanoTime() - powerOnNanos) / 1e6;
    tally.booted(vm, failed ? Double.NaN : ms);
    VmIo closing = io;
    sessions.execute(() -> {
      try {
        if (closing != null) closing.close();
      } catch (RuntimeException e) {
        tally.error(script.name() + " could not end its boot: " + e);
      } finally {
        done.countDown();
      }
    });
  }
}
