package io.bootcache.node.read;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * At most one load per key at a time: whoever asks for a key while a load of it is in flight joins
 * that load instead of starting another. The first caller owns the load and finishes it. A finished
 * load may stay joinable for a while ({@link #forget} ends it), so that callers arriving while its
 * result is being stored elsewhere get the result instead of loading again.
 */
public final class SingleFlight<K, V> {
  private final ConcurrentHashMap<K, CompletableFuture<V>> flights = new ConcurrentHashMap<>();

  /** A caller's place in a load: its result, and whether this caller owns it (and must finish it). */
  public record Ticket<V>(CompletableFuture<V> result, boolean owner) {}

  /** Joins the load of {@code key} in flight, or starts one that the caller owns. */
  public Ticket<V> join(K key) {
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> theirs = flights.putIfAbsent(key, mine);
    return theirs == null ? new Ticket<>(mine, true) : new Ticket<>(theirs, false);
  }

  /** The owner's load is done: everyone waiting gets the value; later callers still join it until forgotten. */
  public void finish(K key, V value) {
    CompletableFuture<V> f = flights.get(key);
    if (f != null) f.complete(value);
  }

  /** The owner's load failed: everyone waiting gets the failure, and the next caller loads afresh. */
  public void fail(K key, Throwable failure) {
    CompletableFuture<V> f = flights.remove(key);
    if (f != null) f.completeExceptionally(failure);
  }

  /** Ends a finished load: the next caller starts a new one. */
  public void forget(K key) {
    flights.remove(key);
  }

  /** Loads in flight or not yet forgotten. */
  public int size() {
    return flights.size();
  }

  /**
   * The value of {@code key}, from the load in flight or from {@code load}, run once for all callers;
   * the load is forgotten as soon as it ends.
   */
  public CompletableFuture<V> load(K key, Supplier<CompletableFuture<V>> load) {
    Ticket<V> t = join(key);
    if (!t.owner()) return t.result();
    CompletableFuture<V> started;
    try {
      started = load.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    started.whenComplete((v, e) -> {
      if (e != null) {
        fail(key, e);
      } else {
        finish(key, v);
        forget(key);
      }
    });
    return t.result();
  }
}
