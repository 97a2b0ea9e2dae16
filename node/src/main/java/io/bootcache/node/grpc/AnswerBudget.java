package io.bootcache.node.grpc;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The answer bytes all of a node's FetchStreams hold at once, requests read and answers not yet on
 * the socket, against one cap: past it every stream stops reading requests and waits for room, so
 * many streams that never read hold a bounded amount together. A stream holding nothing may still
 * take one request, so that one client's streams never starve another's.
 */
final class AnswerBudget {
  private final long cap;
  private final AtomicLong held;
  /** Streams paused for room: each told once when some frees. */
  private final Set<Runnable> waiting = ConcurrentHashMap.newKeySet();

  /** {@code held} counts the bytes held (a gauge of the node's metrics). */
  AnswerBudget(long cap, AtomicLong held) {
    this.cap = cap;
    this.held = held;
  }

  boolean full() {
    return held.get() >= cap;
  }

  void charge(long bytes) {
    held.addAndGet(bytes);
  }

  void release(long bytes) {
    if (held.addAndGet(-bytes) < cap && !waiting.isEmpty()) wakeAll();
  }

  /** Calls {@code wake} once there is room (at once if there is already). */
  void awaitRoom(Runnable wake) {
    waiting.add(wake);
    if (!full()) wakeAll(); // room freed between the caller's look and now
  }

  private void wakeAll() {
    for (Runnable wake : waiting) {
      if (waiting.remove(wake)) wake.run();
    }
  }
}
