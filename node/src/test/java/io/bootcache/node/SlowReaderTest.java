package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.nbd.Nbd;
import io.bootcache.nbd.RawNbdClient;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that ask for a lot and never read the answers, against a node process with a 256 MiB
 * heap: FetchStreams whose responses are paused (the HTTP/2 window is never given back) asking for
 * over 100 GiB of a cached range, and an NBD connection that sends reads and never reads its
 * socket. The node stops reading them: it reads only what its queues hold, its heap and resident
 * set stay bounded, /health answers, and other clients read the right bytes meanwhile.
 */
class SlowReaderTest {
  static final int SIZE = 8 << 20;
  static final int CHUNK = 4 << 20;
  static final int STREAMS = 8;
  static final int REQUESTS_PER_STREAM = 3200; // 8 x 3,200 x 4 MiB = 100 GiB asked
  static final long MIB = 1 << 20;

  @TempDir
  Path dir;

  @Test
  void clientsThatNeverReadHoldBoundedMemoryAndOthersAreServed() throws Exception {
    int base = Ports.freeRange(20);
    int grpcPort = base + 15;
    int adminPort = base + 16;
    int nbdPort = base + 17;
    try (NodeProcess node = NodeProcess.start(List.of("-Xmx256m", "-XX:MaxDirectMemorySize=256m"), List.of(
        "--name", "slow-reader", "--grpc-port", "" + grpcPort, "--admin-port", "" + adminPort,
        "--discovery-port", "" + base, "--communication-port", "" + (base + 10), "--seed", "127.0.0.1:" + base,
        "--data-dir", dir.resolve("data").toString(), "--memory", "32m", "--meta-memory", "48m", "--host-memory", "32m",
        "--nbd", "127.0.0.1:" + nbdPort, "--fetch-queue", "16m", "--fetch-queue-total", "64m", "--nbd-queue", "16m"));
         GrpcTestClient hostile = new GrpcTestClient();
         GrpcTestClient good = new GrpcTestClient()) {
      node.awaitUp();
      Path file = TestFiles.random(dir, "golden.raw", SIZE, 3);
      byte[] content = Files.readAllBytes(file);
      String at = "127.0.0.1:" + grpcPort;
      BootCacheGrpcClient n = good.to(at);
      await(n.registerImage(RegisterImageRequest.newBuilder().setId("golden").setLocation(file.toString()).build()));
      String session = await(n.startBoot(StartBootRequest.newBuilder().setImageId("golden").build())).getId();
      FetchRequest cached = image("golden", 0, CHUNK).toBuilder().setSessionId(session).build();
      await(n.fetch(cached)); // the range is cached from here on: answers come straight from the host tier
      long fetchesBefore = node.metric("bootcache_fetches_total");
      long readsBefore = node.metric("bootcache_reads_total"); // NBD and gRPC
      long rssBefore = node.residentBytes();

      // FetchStreams asking for 100 GiB, their answers never read
      SocketAddress address = SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1");
      List<GrpcClientRequest<FetchRequest, FetchResponse>> streams = new ArrayList<>();
      for (int s = 0; s < STREAMS; s++) {
        GrpcClientRequest<FetchRequest, FetchResponse> call = await(hostile.grpc.request(address, BootCacheGrpcClient.FetchStream));
        // nothing is ever read: paused as its headers arrive, the stream's window is never given back to the node
        Future<GrpcClientResponse<FetchRequest, FetchResponse>> response = call.response().onSuccess(ReadStream::pause);
        for (int i = 0; i < REQUESTS_PER_STREAM; i++) call.write(cached.toBuilder().setId(i).build());
        await(response);
        streams.add(call);
      }
      long askedGrpc = (long) STREAMS * REQUESTS_PER_STREAM * CHUNK;

      // an NBD client that sends reads and never reads its socket
      RawNbdClient greedy = new RawNbdClient(nbdPort).greet();
      greedy.go("golden");
      AtomicLong nbdSent = new AtomicLong();
      Thread sender = new Thread(() -> {
        try {
          for (long i = 0; i < REQUESTS_PER_STREAM * STREAMS; i++) {
            greedy.request(Nbd.CMD_READ, 0, i, 0, CHUNK);
            nbdSent.incrementAndGet();
          }
        } catch (IOException ignored) {
          // closed at the end of the test
        }
      }, "greedy-nbd");
      sender.setDaemon(true);
      sender.start();

      long maxHeap = 0;
      long maxRss = 0;
      long maxDirect = 0;
      for (int i = 0; i < 12; i++) {
        Thread.sleep(500);
        maxHeap = Math.max(maxHeap, node.metric("bootcache_memory_used_bytes{area=\"heap\"}"));
        maxDirect = Math.max(maxDirect, node.metric("bootcache_memory_used_bytes{area=\"direct\"}"));
        maxRss = Math.max(maxRss, node.residentBytes());
      }
      long read = node.metric("bootcache_fetches_total") - fetchesBefore;
      long nbdRead = node.metric("bootcache_reads_total") - readsBefore - read;
      System.out.printf("slow readers: asked %d GiB over %d FetchStreams and %d GiB over NBD (%d reads sent); "
              + "the node read %d fetches and %d NBD reads; heap at most %d MiB of 256, direct %d MiB, RSS %d MiB (%d MiB before)%n",
          askedGrpc >> 30, STREAMS, nbdSent.get() * CHUNK >> 30, nbdSent.get(), read, nbdRead, maxHeap / MIB, maxDirect / MIB,
          maxRss / MIB, rssBefore / MIB);

      assertTrue(node.process.isAlive(), "the node is alive");
      assertEquals(200, node.admin("/health").statusCode(), "/health answers");
      // per stream 16 MiB of answers (4 reads) past the window; over the node 64 MiB, one read more for each stream
      assertTrue(read < STREAMS * 64, "the node stopped reading the streams: it read " + read + " of "
          + STREAMS * REQUESTS_PER_STREAM);
      // 16 MiB of answers (4 reads) on the connection, a few more on their way out
      assertTrue(nbdRead < 64, "the node stopped reading the NBD client: it read " + nbdRead);
      assertTrue(maxHeap < 256 * MIB, "heap " + maxHeap);
      assertTrue(maxRss < rssBefore + 512 * MIB, "resident set grew from " + rssBefore / MIB + " to " + maxRss / MIB + " MiB");

      // others are served, over gRPC (unary and a stream) and NBD
      for (int off = 0; off < SIZE; off += CHUNK) {
        FetchResponse r = await(n.fetch(image("golden", off, CHUNK)));
        assertArrayEquals(Arrays.copyOfRange(content, off, off + CHUNK), verifiedRange(r, off, CHUNK));
      }
      GrpcClientRequest<FetchRequest, FetchResponse> call = await(good.grpc.request(address, BootCacheGrpcClient.FetchStream));
      call.end(image("golden", CHUNK, 65536).toBuilder().setId(7).build());
      FetchResponse streamed = await(await(call.response()).last());
      assertArrayEquals(Arrays.copyOfRange(content, CHUNK, CHUNK + 65536), verifiedRange(streamed, CHUNK, 65536));
      try (RawNbdClient other = new RawNbdClient(nbdPort).greet()) {
        other.go("golden");
        other.request(Nbd.CMD_READ, 0, 1, SIZE - 4096, 4096);
        assertArrayEquals(Arrays.copyOfRange(content, SIZE - 4096, SIZE), other.readSimpleReply(4096).data());
      }
      assertTrue(node.metric("bootcache_fetch_queued_bytes") > 0, "the hostile streams hold their share");
      greedy.close();
      for (GrpcClientRequest<FetchRequest, FetchResponse> s : streams) s.cancel();
      long gone = System.currentTimeMillis();
      while (node.metric("bootcache_fetch_queued_bytes") != 0 && System.currentTimeMillis() < gone + 20_000) Thread.sleep(100);
      assertEquals(0, node.metric("bootcache_fetch_queued_bytes"), "the streams gone, their budget comes back");
      System.out.println("the streams' budget came back " + (System.currentTimeMillis() - gone) + " ms after they were cancelled");
    }
  }
}
