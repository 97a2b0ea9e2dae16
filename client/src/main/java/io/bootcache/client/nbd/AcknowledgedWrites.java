package io.bootcache.client.nbd;

import io.bootcache.client.BootCacheClient;
import io.bootcache.client.BootCacheException;
import io.bootcache.client.WriteSequence;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A full clone's writes into its layer in the cluster, one at a time and acknowledged, so that a VM's
 * write is acknowledged only once the cluster holds it. When the cluster cannot take it, the disk's
 * stale mark is forced into the local journal first (then the write may be acknowledged: the disk's
 * file has it, and a stale disk is read from its file), and the cluster is told as soon as it
 * listens. Each write carries a sequence number, rising in the order the writes were acknowledged.
 */
final class AcknowledgedWrites {
  private static final Logger LOG = Logger.getLogger(AcknowledgedWrites.class.getName());
  private static final long RETELL_SECONDS = 5;

  private final BootCacheClient client;
  private final StaleJournal journal;
  private final ScheduledExecutorService timer;

  AcknowledgedWrites(BootCacheClient client, StaleJournal journal, ScheduledExecutorService timer) {
    this.client = client;
    this.journal = journal;
    this.timer = timer;
    // marks a previous run could not deliver: this client treats those disks as stale now, and tells the cluster
    journal.pending().forEach((disk, reason) -> {
      client.markStaleHere(disk, reason);
      tell(disk, reason);
    });
  }

  /**
   * Records the write into the disk's layer, or, if the cluster cannot take it, the disk's stale mark
   * into the journal. Returns once one of them is durable. Blocking.
   */
  void record(String diskId, long offset, byte[] data) {
    if (client.isStale(diskId)) return; // read from its file until resynced: the layer is not used
    long seq = WriteSequence.next();
    try {
      client.recordWrite(diskId, offset, data, seq);
    } catch (BootCacheException e) {
      String reason = "a write at " + offset + " (" + data.length + " bytes) could not be recorded: " + e.getMessage();
      journal.mark(diskId, reason);
      client.markStaleHere(diskId, reason);
      tell(diskId, reason);
    }
  }

  /** Tells the cluster the disk is stale, again every few seconds until it listens; then the journal forgets. */
  private void tell(String diskId, String reason) {
    client.markStale(diskId, reason).whenComplete((disk, failure) -> {
      if (failure == null) {
        journal.told(diskId);
      } else if (!timer.isShutdown()) {
        LOG.fine("disk " + diskId + ": the cluster did not take the stale mark yet: " + failure.getMessage());
        timer.schedule(() -> tell(diskId, reason), RETELL_SECONDS, TimeUnit.SECONDS);
      }
    });
  }
}
