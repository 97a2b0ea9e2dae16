package io.bootcache.client;

/**
 * What one client did since it started, a snapshot.
 *
 * @param requests       reads asked of the client
 * @param hits           blocks the cluster served from cache (from its responses)
 * @param misses         blocks the cluster read from the backend for us
 * @param fallbackReads  reads this client served from the backend itself
 * @param verifyFailures responses whose bytes did not match their SHA-256
 * @param retries        requests sent again after a node failed them
 * @param errors         reads failed to the caller (bad input, or neither cluster nor backend answered)
 * @param manifestMismatches image answers whose block hashes were not the ones pinned at registration (or
 *                       that no block manifest could check, or, with requirePinnedBlocks, of an image
 *                       without one); each was read from the backend instead
 */
public record ClientStats(long requests, long hits, long misses, long fallbackReads, long verifyFailures,
                          long retries, long errors, long manifestMismatches) {

  @Override
  public String toString() {
    return "requests=" + requests + " hits=" + hits + " misses=" + misses + " fallbackReads=" + fallbackReads
        + " verifyFailures=" + verifyFailures + " retries=" + retries + " errors=" + errors
        + " manifestMismatches=" + manifestMismatches;
  }
}
