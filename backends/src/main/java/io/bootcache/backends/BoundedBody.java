package io.bootcache.backends;

import java.io.IOException;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/** A response body of at most {@code length} bytes, into one array; more than that fails the read. */
final class BoundedBody implements BodySubscriber<byte[]> {
  private final byte[] bytes;
  private final String from;
  private final CompletableFuture<byte[]> result = new CompletableFuture<>();
  private Flow.Subscription subscription;
  private int filled;

  BoundedBody(int length, String from) {
    this.bytes = new byte[length];
    this.from = from;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    for (ByteBuffer b : items) {
      if (result.isDone()) return;
      int n = b.remaining();
      if (n > bytes.length - filled) {
        subscription.cancel();
        result.completeExceptionally(new IOException(from + " sent more than the " + bytes.length + " bytes asked for"));
        return;
      }
      b.get(bytes, filled, n);
      filled += n;
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    if (filled == bytes.length) {
      result.complete(bytes);
    } else {
      result.completeExceptionally(new IOException(from + " sent " + filled + " of the " + bytes.length + " bytes asked for"));
    }
  }

  @Override
  public CompletionStage<byte[]> getBody() {
    return result;
  }
}
