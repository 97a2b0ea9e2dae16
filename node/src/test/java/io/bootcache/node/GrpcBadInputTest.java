package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.GrpcTestClient.image;
import static io.bootcache.node.GrpcTestClient.verifiedRange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.v1.BlockManifestChunk;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.EndBootRequest;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.GetBlockManifestRequest;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.GetProfileRequest;
import io.bootcache.v1.MarkStaleRequest;
import io.bootcache.v1.RecordEvent;
import io.bootcache.v1.RecordSummary;
import io.bootcache.v1.ReadEvent;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client written from bootcache.proto alone may send wrong, over real gRPC: malformed and
 * oversized messages, unknown and malformed ids, ranges past the end, huge lengths, unknown
 * sessions. Each gets a clear status (and a message that says what was wrong); after each the
 * node still serves the right bytes.
 */
class GrpcBadInputTest {
  static final long SIZE = 1 << 20;
  @TempDir static Path dir;
  static LocalCluster cluster;
  static GrpcTestClient client;
  static BootCacheGrpcClient node;
  static String address;
  static byte[] content;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data")).start();
    client = new GrpcTestClient();
    address = cluster.grpcAddresses().get(0);
    node = client.to(address);
    Path f = TestFiles.random(dir, "golden.raw", SIZE, 4);
    content = Files.readAllBytes(f);
    await(node.registerImage(RegisterImageRequest.newBuilder().setId("golden").setLocation(f.toString()).setPinBlocks(true).build()));
  }

  @AfterAll
  static void stop() {
    client.close();
    cluster.close();
  }

  /** The node still answers a good read with the right bytes. */
  static void stillServes() {
    FetchResponse r = await(node.fetch(image("golden", 4096, 8192)));
    assertArrayEquals(Arrays.copyOfRange(content, 4096, 4096 + 8192), verifiedRange(r, 4096, 8192));
  }

  static void refused(GrpcStatus want, String messagePart, GrpcTestClient.Refusal got) {
    assertEquals(want, got.status(), got.message());
    assertTrue(got.message() != null && got.message().toLowerCase().contains(messagePart.toLowerCase()),
        "message '" + got.message() + "' says " + messagePart);
    stillServes();
  }

  @Test
  void badFetchesGetClearStatuses() {
    String longId = "x".repeat(100_000);
    refused(GrpcStatus.NOT_FOUND, "no image nope", fetch(image("nope", 0, 4096)));
    refused(GrpcStatus.NOT_FOUND, "no disk nope", fetch(FetchRequest.newBuilder().setDiskId("nope").setLength(4096).build()));
    refused(GrpcStatus.INVALID_ARGUMENT, "image", fetch(image(longId, 0, 4096)));
    refused(GrpcStatus.INVALID_ARGUMENT, "image", fetch(image("../../etc/passwd", 0, 4096)));
    refused(GrpcStatus.INVALID_ARGUMENT, "image_id or a disk_id", fetch(FetchRequest.newBuilder().setLength(4096).build()));
    refused(GrpcStatus.OUT_OF_RANGE, "past the end", fetch(image("golden", SIZE, 4096)));
    refused(GrpcStatus.OUT_OF_RANGE, "past the end", fetch(image("golden", Long.MAX_VALUE - 10, 4096)));
    refused(GrpcStatus.OUT_OF_RANGE, "past the end", fetch(image("golden", SIZE - 4096, 8192)));
    refused(GrpcStatus.INVALID_ARGUMENT, "negative", fetch(image("golden", -4096, 4096)));
    refused(GrpcStatus.INVALID_ARGUMENT, "must be positive", fetch(image("golden", 0, 0)));
    refused(GrpcStatus.INVALID_ARGUMENT, "must be positive", fetch(image("golden", 0, -1)));
    refused(GrpcStatus.INVALID_ARGUMENT, "request cap", fetch(image("golden", 0, Long.MAX_VALUE)));
    refused(GrpcStatus.INVALID_ARGUMENT, "request cap", fetch(image("golden", 0, 1L << 40)));
  }

  @Test
  void badManifestRequestsGetClearStatuses() {
    refused(GrpcStatus.NOT_FOUND, "no image nope", manifest("nope", 0));
    refused(GrpcStatus.INVALID_ARGUMENT, "image", manifest("../../etc/passwd", 0));
    refused(GrpcStatus.INVALID_ARGUMENT, "does not start a chunk", manifest("golden", 1));
    refused(GrpcStatus.INVALID_ARGUMENT, "does not start a chunk", manifest("golden", -8192));
    refused(GrpcStatus.INVALID_ARGUMENT, "does not start a chunk", manifest("golden", 8192)); // 256 blocks: one chunk
    BlockManifestChunk whole = await(node.getBlockManifest(
        GetBlockManifestRequest.newBuilder().setImageId("golden").build()));
    assertEquals(SIZE / 4096, whole.getBlocks());
    assertEquals(SIZE / 4096 * 32, whole.getHashes().size());
  }

  static GrpcTestClient.Refusal manifest(String id, long first) {
    return client.refusal(address, BootCacheGrpcClient.GetBlockManifest,
        GetBlockManifestRequest.newBuilder().setImageId(id).setFirstBlock(first).build());
  }

  @Test
  void anUnknownSessionIsServedNotAdmittedAndRefusedWhereItMatters() {
    // a read never fails over bookkeeping: served, just not admitted
    FetchResponse r = await(node.fetch(image("golden", 0, 4096).toBuilder().setSessionId("s-unknown").build()));
    assertArrayEquals(Arrays.copyOf(content, 4096), verifiedRange(r, 0, 4096));
    refused(GrpcStatus.NOT_FOUND, "no boot session", client.refusal(address, BootCacheGrpcClient.EndBoot,
        EndBootRequest.newBuilder().setSessionId("s-unknown").build()));
    refused(GrpcStatus.INVALID_ARGUMENT, "session", client.refusal(address, BootCacheGrpcClient.EndBoot,
        EndBootRequest.newBuilder().setSessionId("s-" + "y".repeat(5000)).build()));
    RecordSummaryOrStatus record = record(RecordEvent.newBuilder().setSessionId("s-unknown")
        .setRead(ReadEvent.newBuilder().setOffset(0).setLength(4096)).build());
    assertEquals(GrpcStatus.NOT_FOUND, record.status, record.message);
    stillServes();
  }

  @Test
  void badRegistrationsAndRecordsGetClearStatuses() {
    refused(GrpcStatus.INVALID_ARGUMENT, "block size", client.refusal(address, BootCacheGrpcClient.RegisterImage,
        RegisterImageRequest.newBuilder().setId("odd").setLocation(dir.resolve("golden.raw").toString()).setBlockSize(3000).build()));
    assertNotEquals(GrpcStatus.OK, client.refusal(address, BootCacheGrpcClient.RegisterImage,
        RegisterImageRequest.newBuilder().setId("missing").setLocation(dir.resolve("nothing-here.raw").toString()).build()).status());
    refused(GrpcStatus.NOT_FOUND, "no image", client.refusal(address, BootCacheGrpcClient.RegisterDisk,
        RegisterDiskRequest.newBuilder().setId("d1").setImageId("nope").build()));
    refused(GrpcStatus.NOT_FOUND, "no disk", client.refusal(address, BootCacheGrpcClient.MarkStale,
        MarkStaleRequest.newBuilder().setDiskId("nope").setReason("x").build()));
    assertNotEquals(GrpcStatus.OK, client.refusal(address, BootCacheGrpcClient.GetProfile,
        GetProfileRequest.newBuilder().setImageId("z".repeat(10_000)).build()).status());
    String session = await(node.startBoot(StartBootRequest.newBuilder().setImageId("golden").build())).getId();
    RecordSummaryOrStatus past = record(RecordEvent.newBuilder().setSessionId(session)
        .setRead(ReadEvent.newBuilder().setOffset(SIZE).setLength(Long.MAX_VALUE)).build());
    assertEquals(GrpcStatus.OUT_OF_RANGE, past.status, past.message);
    stillServes();
  }

  @Test
  void aStreamAnswersEachBadRequestWithItsStatusAndGoesOn() throws Exception {
    List<FetchRequest> asked = List.of(
        image("golden", 0, 4096).toBuilder().setId(1).build(),
        image("nope", 0, 4096).toBuilder().setId(2).build(),
        image("golden", SIZE, 4096).toBuilder().setId(3).build(),
        image("golden", 0, Long.MAX_VALUE).toBuilder().setId(4).build(),
        FetchRequest.newBuilder().setId(5).setLength(1).build(),
        image("golden", SIZE - 4096, 4096).toBuilder().setId(6).build());
    Map<Long, FetchResponse> answers = GrpcTestClient.fetchAll(node, asked);
    assertEquals(asked.size(), answers.size(), "one answer per request");
    assertEquals(0, answers.get(1L).getErrorCode());
    assertEquals(GrpcStatus.NOT_FOUND.code, answers.get(2L).getErrorCode(), answers.get(2L).getErrorMessage());
    assertEquals(GrpcStatus.OUT_OF_RANGE.code, answers.get(3L).getErrorCode(), answers.get(3L).getErrorMessage());
    assertEquals(GrpcStatus.INVALID_ARGUMENT.code, answers.get(4L).getErrorCode(), answers.get(4L).getErrorMessage());
    assertEquals(GrpcStatus.INVALID_ARGUMENT.code, answers.get(5L).getErrorCode(), answers.get(5L).getErrorMessage());
    assertArrayEquals(Arrays.copyOfRange(content, (int) SIZE - 4096, (int) SIZE), verifiedRange(answers.get(6L), SIZE - 4096, 4096));
    stillServes();
  }

  @Test
  void malformedAndOversizedMessagesAreRefusedOnTheWire() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
    try {
      Random random = new Random(9);
      List<String> seen = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        byte[] garbage = new byte[1 + random.nextInt(200)];
        random.nextBytes(garbage);
        String status = rawCall(http, "Fetch", frame(garbage, garbage.length), 30);
        // Vert.x resets the stream of a message it cannot decode (CANCEL), before any handler of ours
        assertTrue(status.matches("[1-9][0-9]*|reset 8"), "garbage " + i + " was answered " + status);
        seen.add(status);
      }
      // a frame that announces 2 GiB and ends after 16 bytes, and one over the node's message cap
      String truncated = rawCall(http, "Fetch", frame(new byte[16], Integer.MAX_VALUE), 2);
      assertNotEquals("0", truncated, "a frame that ends short is never taken as a request");
      byte[] big = new byte[16 << 20];
      String oversized = rawCall(http, "Fetch", frame(big, big.length), 5);
      // RESOURCE_EXHAUSTED when Vert.x reports the overflow to the node, else dropped unanswered: never served
      assertTrue(oversized.equals(String.valueOf(GrpcStatus.RESOURCE_EXHAUSTED.code)) || oversized.equals("no answer"), oversized);
      System.out.println("a frame announcing 2 GiB: " + truncated + "; a 16 MiB message: " + oversized);
      System.out.println("grpc-status of 50 malformed Fetch messages: " + new TreeMap<>(seen.stream()
          .collect(Collectors.groupingBy(s -> s, Collectors.counting()))));
      stillServes();
    } finally {
      http.close();
      vertx.close();
    }
  }

  /** A gRPC message frame: not compressed, the given length, the bytes (fewer than announced if it lies). */
  static Buffer frame(byte[] message, int announced) {
    return Buffer.buffer().appendByte((byte) 0).appendInt(announced).appendBytes(message);
  }

  /**
   * POSTs one frame to a method of the service; the grpc-status it was answered with, "reset N" if
   * the node reset the stream, or "no answer" if none came in time (then the stream is reset).
   */
  static String rawCall(HttpClient http, String method, Buffer body, int waitSeconds) throws Exception {
    String[] hp = address.split(":");
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(hp[0]).setPort(Integer.parseInt(hp[1]))
        .setURI("/bootcache.v1.BootCache/" + method)
        .putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    HttpClientRequest request = await(http.request(options));
    try {
      HttpClientResponse response = request.send(body).await(waitSeconds, TimeUnit.SECONDS);
      response.body().await(waitSeconds, TimeUnit.SECONDS);
      String status = response.getTrailer("grpc-status");
      return status != null ? status : response.getHeader("grpc-status");
    } catch (StreamResetException e) {
      return "reset " + e.getCode(); // refused by resetting the stream: no answer, nothing served
    } catch (TimeoutException e) {
      request.reset();
      return "no answer";
    }
  }

  static SocketAddress socket() {
    String[] hp = address.split(":");
    return SocketAddress.inetSocketAddress(Integer.parseInt(hp[1]), hp[0]);
  }

  GrpcTestClient.Refusal fetch(FetchRequest r) {
    return client.refusal(address, BootCacheGrpcClient.Fetch, r);
  }

  record RecordSummaryOrStatus(RecordSummary summary, GrpcStatus status, String message) {}

  static RecordSummaryOrStatus record(RecordEvent event) {
    GrpcClientRequest<RecordEvent, RecordSummary> call = await(client.grpc.request(socket(), BootCacheGrpcClient.Record));
    call.end(event);
    GrpcClientResponse<RecordEvent, RecordSummary> response = await(call.response());
    try {
      RecordSummary s = await(response.last());
      return new RecordSummaryOrStatus(s, GrpcStatus.OK, null);
    } catch (RuntimeException e) {
      assertFalse(response.status() == null, "a status came back: " + e);
      return new RecordSummaryOrStatus(null, response.status(), response.statusMessage());
    }
  }
}
