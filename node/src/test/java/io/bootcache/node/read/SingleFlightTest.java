package io.bootcache.node.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SingleFlightTest {

  @Test
  void tenConcurrentCallersOneLoad() throws Exception {
    SingleFlight<String, Integer> flight = new SingleFlight<>();
    AtomicInteger loads = new AtomicInteger();
    CompletableFuture<Integer> slowLoad = new CompletableFuture<>();
    CountDownLatch ready = new CountDownLatch(10);
    ExecutorService callers = Executors.newFixedThreadPool(10);
    try {
      List<CompletableFuture<CompletableFuture<Integer>>> calls = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        calls.add(CompletableFuture.supplyAsync(() -> {
          ready.countDown();
          return flight.load("block-7", () -> {
            loads.incrementAndGet();
            return slowLoad;
          });
        }, callers));
      }
      ready.await();
      List<CompletableFuture<Integer>> results = new ArrayList<>();
      for (var c : calls) results.add(c.get());
      slowLoad.complete(42);
      for (CompletableFuture<Integer> r : results) assertEquals(42, r.get());
      assertEquals(1, loads.get());
      assertEquals(0, flight.size(), "the load is forgotten once it ends");
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aFinishedLoadStaysJoinableUntilForgotten() {
    SingleFlight<String, String> flight = new SingleFlight<>();
    SingleFlight.Ticket<String> owner = flight.join("k");
    assertTrue(owner.owner());
    flight.finish("k", "bytes");
    SingleFlight.Ticket<String> late = flight.join("k");
    assertFalse(late.owner(), "a caller after the load, before it is stored, joins it");
    assertEquals("bytes", late.result().join());
    flight.forget("k");
    assertTrue(flight.join("k").owner(), "after forget, the next caller loads afresh");
  }

  @Test
  void aFailedLoadReachesEveryWaiterAndTheNextCallerLoadsAgain() {
    SingleFlight<Long, String> flight = new SingleFlight<>();
    SingleFlight.Ticket<String> owner = flight.join(1L);
    SingleFlight.Ticket<String> waiter = flight.join(1L);
    flight.fail(1L, new IllegalStateException("backend down"));
    CompletionException e = assertThrows(CompletionException.class, () -> waiter.result().join());
    assertEquals("backend down", e.getCause().getMessage());
    assertTrue(owner.result().isCompletedExceptionally());
    assertTrue(flight.join(1L).owner());
  }

  @Test
  void aLoaderThatThrowsFailsItsCallers() {
    SingleFlight<String, String> flight = new SingleFlight<>();
    CompletableFuture<String> r = flight.load("k", () -> {
      throw new IllegalArgumentException("no such block");
    });
    assertThrows(CompletionException.class, r::join);
    assertEquals(0, flight.size());
  }
}
