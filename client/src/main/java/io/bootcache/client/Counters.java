package io.bootcache.client;

import java.util.concurrent.atomic.LongAdder;

/** The client's live counters; {@link #snapshot()} gives the public view. */
final class Counters {
  final LongAdder requests = new LongAdder();
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder fallbackReads = new LongAdder();
  final LongAdder verifyFailures = new LongAdder();
  final LongAdder retries = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder manifestMismatches = new LongAdder();

  ClientStats snapshot() {
    return new ClientStats(requests.sum(), hits.sum(), misses.sum(), fallbackReads.sum(), verifyFailures.sum(),
        retries.sum(), errors.sum(), manifestMismatches.sum());
  }
}
