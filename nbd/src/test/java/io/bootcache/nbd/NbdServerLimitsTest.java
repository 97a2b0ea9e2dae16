package io.bootcache.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the server does with clients that misbehave or are too many, and on a Unix socket: every
 * limit holds, and the server goes on serving the others.
 */
class NbdServerLimitsTest {
  static final int SIZE = 8 * 1024 * 1024;

  @TempDir
  static Path dir;
  static byte[] image;
  static Path imageFile;

  @BeforeAll
  static void files() throws IOException {
    image = new byte[SIZE];
    new Random(5).nextBytes(image);
    imageFile = Files.write(dir.resolve("image.raw"), image);
  }

  /** A read-only export of the image that counts the reads it was asked for and answers from memory. */
  static class CountingExport implements NbdExport {
    final AtomicInteger reads = new AtomicInteger();

    @Override public String name() { return "img"; }
    @Override public long size() { return SIZE; }
    @Override public int blockSize() { return 4096; }
    @Override public boolean writable() { return false; }

    @Override
    public ExportConnection connect(String peer) {
      return new ExportConnection() {
        @Override
        public CompletableFuture<ByteBuf> read(long offset, int length) {
          reads.incrementAndGet();
          return CompletableFuture.completedFuture(Unpooled.wrappedBuffer(image, (int) offset, length));
        }

        @Override
        public void close() {}
      };
    }
  }

  @Test
  void aUnixSocketServesTheRealTools() throws IOException {
    Path socket = dir.resolve("nbd.sock");
    try (FileExport export = FileExport.readOnly("img", imageFile);
         NbdServer server = NbdServer.builder().catalog(ExportCatalog.of(List.of(export))).unixSocket(socket).start()) {
      String uri = "nbd+unix:///img?socket=" + socket;
      assertEquals(String.valueOf(SIZE), Tools.run("nbdinfo", "--size", uri).ok().out().trim());
      Path copy = dir.resolve("copy.raw");
      Tools.run("nbdcopy", uri, copy.toString()).ok();
      assertArrayEquals(image, Files.readAllBytes(copy));
      assertEquals(-1, server.port(), "no TCP listener was asked for");
    }
    assertTrue(Files.notExists(socket), "the socket file goes with the server");
  }

  @Test
  void connectionsOverTheCapAreClosedAndTheOthersServed() throws IOException {
    CountingExport export = new CountingExport();
    try (NbdServer server = NbdServer.builder().catalog(ExportCatalog.of(List.of(export)))
        .listen("127.0.0.1", 0).maxConnections(2).start();
         RawNbdClient a = new RawNbdClient(server.port()).greet();
         RawNbdClient b = new RawNbdClient(server.port()).greet();
         RawNbdClient c = new RawNbdClient(server.port())) {
      assertTrue(c.closedByServer(), "the third connection is refused");
      a.go("img");
      a.request(Nbd.CMD_READ, 0, 1, 4096, 4096);
      assertArrayEquals(Arrays.copyOfRange(image, 4096, 8192), a.readSimpleReply(4096).data());
    }
  }

  @Test
  void aClientThatNeverFinishesTheHandshakeIsDropped() throws IOException {
    CountingExport export = new CountingExport();
    try (NbdServer server = NbdServer.builder().catalog(ExportCatalog.of(List.of(export)))
        .listen("127.0.0.1", 0).handshakeTimeout(Duration.ofMillis(300)).start();
         RawNbdClient slow = new RawNbdClient(server.port()).greet()) {
      long start = System.nanoTime();
      // announces an option of 4 GiB, sends 10 bytes of it, then nothing
      slow.out.writeLong(Nbd.IHAVEOPT);
      slow.out.writeInt(Nbd.OPT_LIST);
      slow.out.writeInt(-1);
      slow.out.write(new byte[10]);
      slow.out.flush();
      assertTrue(slow.closedByServer());
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(), "one deadline for the whole handshake");
    }
  }

  @Test
  void anOversizedOptionIsSkippedAndRefusedAndNegotiationGoesOn() throws IOException {
    CountingExport export = new CountingExport();
    try (NbdServer server = NbdServer.builder().catalog(ExportCatalog.of(List.of(export))).listen("127.0.0.1", 0).start();
         RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      c.sendOption(4242, new byte[Negotiation.MAX_OPTION_BYTES + 1000]);
      assertEquals(Nbd.REP_ERR_TOO_BIG, c.readOptionReply().type());
      assertEquals(SIZE, c.go("img")[0]);
    }
  }

  @Test
  void aClientThatNeverReadsItsRepliesHoldsABoundedAmount() throws Exception {
    CountingExport export = new CountingExport();
    int length = 64 * 1024;
    int sent = 20_000; // 1.25 GiB of replies asked for
    try (NbdServer server = NbdServer.builder().catalog(ExportCatalog.of(List.of(export)))
        .listen("127.0.0.1", 0).maxInFlightBytes(1 << 20).start();
         Socket greedy = new Socket("127.0.0.1", server.port())) {
      RawNbdClient g = new RawNbdClient(greedy).greet();
      g.go("img");
      CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
        try {
          for (int i = 0; i < sent; i++) g.request(Nbd.CMD_READ, 0, i, (long) (i % 128) * length, length);
        } catch (IOException ignored) {
          // the socket closed at the end of the test
        }
      });
      Thread.sleep(2000);
      int started = export.reads.get();
      // what the kernel's socket buffers hold on both sides, plus the 1 MiB budget
      assertTrue(started < 600, "reads started while none was answered: " + started);
      Thread.sleep(500);
      assertEquals(started, export.reads.get(), "the server stopped reading the greedy client");

      try (RawNbdClient other = new RawNbdClient(server.port()).greet()) {
        other.go("img");
        other.request(Nbd.CMD_READ, 0, 1, 0, 4096);
        assertArrayEquals(Arrays.copyOf(image, 4096), other.readSimpleReply(4096).data(), "others are served");
      }

      for (int i = 0; i < sent; i++) {
        RawNbdClient.SimpleReply r = g.readSimpleReply(length);
        assertEquals(0, r.error());
        int at = (int) (r.handle() % 128) * length;
        if (i % 1000 == 0) assertArrayEquals(Arrays.copyOfRange(image, at, at + length), r.data());
      }
      sending.join();
      assertEquals(sent + 1, export.reads.get(), "once read, every request is served (and the other client's one)");
    }
  }

  @Test
  void readsInFlightPerConnectionAreCapped() throws Exception {
    List<CompletableFuture<ByteBuf>> pending = new CopyOnWriteArrayList<>();
    List<Long> offsets = new CopyOnWriteArrayList<>();
    CountingExport slow = new CountingExport() {
      @Override
      public ExportConnection connect(String peer) {
        return new ExportConnection() {
          @Override
          public CompletableFuture<ByteBuf> read(long offset, int length) {
            CompletableFuture<ByteBuf> f = new CompletableFuture<>();
            pending.add(f);
            offsets.add(offset);
            return f;
          }

          @Override
          public void close() {}
        };
      }
    };
    try (NbdServer server = NbdServer.builder().catalog(ExportCatalog.of(List.of(slow)))
        .listen("127.0.0.1", 0).maxInFlightRequests(8).start();
         RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      c.go("img");
      for (int i = 0; i < 100; i++) c.request(Nbd.CMD_READ, 0, i, (long) i * 4096, 4096);
      long started = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (pending.size() < 8 && System.nanoTime() < started) Thread.sleep(5);
      Thread.sleep(300);
      assertEquals(8, pending.size(), "reads started while none was answered");
      // answer as they come: every one of the hundred is read and answered
      for (int answered = 0; answered < 100; answered++) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (pending.size() <= answered && System.nanoTime() < deadline) Thread.sleep(5);
        int at = offsets.get(answered).intValue();
        pending.get(answered).complete(Unpooled.wrappedBuffer(image, at, 4096));
        RawNbdClient.SimpleReply r = c.readSimpleReply(4096);
        assertEquals(0, r.error());
        assertArrayEquals(Arrays.copyOfRange(image, (int) r.handle() * 4096, (int) r.handle() * 4096 + 4096), r.data());
      }
      assertTrue(pending.size() == 100, "all read: " + pending.size());
    }
  }
}
