package io.bootcache.client;

import io.bootcache.v1.FetchResponse;

/** Told the outcome of one request sent on a {@link FetchStream}; called once, on the stream's event loop. */
interface FetchCallback {
  void onResponse(FetchResponse response);

  /** The request got no answer: a {@link BootCacheException} whose status says why. */
  void onFailure(BootCacheException failure);
}
