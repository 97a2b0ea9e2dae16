package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static io.bootcache.node.RecordEvents.readDisk;
import static io.bootcache.node.RecordEvents.record;
import static io.bootcache.node.RecordEvents.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.bootcache.tls.TestCertificates;
import io.bootcache.tls.TlsFiles;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.BootSession;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.DiskState;
import io.bootcache.v1.EndBootRequest;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.GetBlockManifestRequest;
import io.bootcache.v1.GetStatsRequest;
import io.bootcache.v1.Image;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.ListImagesRequest;
import io.bootcache.v1.RecordWriteRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.WriteEvent;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.common.GrpcStatus;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-node cluster over TLS with grants, attacked over gRPC and HTTPS with real certificates that
 * openssl made: no certificate, another CA's, and principals reaching past their grants.
 */
class TrustBoundaryTest {
  static final int SIZE = 1 << 20;
  static final String GRANTS = """
      ops = admin
      host-a = host: images=debian12 disks=vm-a
      host-b = host: images=debian12 disks=vm-b
      audit = reader: images=debian12
      """;

  @TempDir
  static Path dir;
  static TestCertificates ca;
  static LocalCluster cluster;
  static String address;
  static byte[] debian;
  static final Map<String, GrpcTestClient> clients = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.authority(Files.createDirectories(dir.resolve("ca")));
    TlsFiles node = ca.issue("node").files();
    Path grants = Files.writeString(dir.resolve("grants"), GRANTS);
    cluster = LocalCluster.builder().nodes(2).dataDir(dir.resolve("data"))
        .configure(b -> b.tls(node).grants(grants)).start();
    address = cluster.grpcAddresses().get(1);
    debian = Files.readAllBytes(TestFiles.random(dir, "debian12.raw", SIZE, 1));
    Path secret = TestFiles.random(dir, "secret.raw", SIZE, 2);
    BootCacheGrpcClient ops = as("ops");
    await(ops.registerImage(RegisterImageRequest.newBuilder().setId("debian12").setLocation(dir.resolve("debian12.raw").toString()).setPinBlocks(true).build()));
    await(ops.registerImage(RegisterImageRequest.newBuilder().setId("secret").setLocation(secret.toString()).build()));
    for (String disk : new String[] {"vm-a", "vm-b"}) {
      await(ops.registerDisk(RegisterDiskRequest.newBuilder().setId(disk).setImageId("debian12").setMode(CloneMode.LINKED).build()));
    }
  }

  @AfterAll
  static void stop() {
    clients.values().forEach(GrpcTestClient::close);
    cluster.close();
  }

  /** A gRPC client showing the certificate the CA issued to {@code principal}. */
  static BootCacheGrpcClient as(String principal) {
    return clients.computeIfAbsent(principal, p -> new GrpcTestClient(ca.issue(p).files())).to(address);
  }

  static GrpcStatus statusOf(Future<?> call) {
    return GrpcTestClient.statusOf(call);
  }

  @Test
  void aClientWithoutACertificateIsRefused() throws Exception {
    // TLS that trusts the node but shows no certificate: the handshake, or the first read after it, fails
    SSLContext trustOnly = SSLContext.getInstance("TLS");
    trustOnly.init(null, ca.issue("nobody").files().trustManagers().getTrustManagers(), null);
    String[] hp = address.split(":");
    try (SSLSocket s = (SSLSocket) trustOnly.getSocketFactory().createSocket(hp[0], Integer.parseInt(hp[1]))) {
      s.setSoTimeout(10_000);
      s.setEnabledProtocols(new String[] {"TLSv1.3"});
      assertThrows(SSLException.class, () -> {
        s.startHandshake();
        OutputStream out = s.getOutputStream();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII)); // HTTP/2's preface
        out.flush();
        InputStream in = s.getInputStream();
        if (in.read() < 0) throw new SSLException("closed without an answer");
      });
    }
    // and gRPC in the clear is not spoken at all
    try (GrpcTestClient plain = new GrpcTestClient()) {
      assertThrows(Exception.class, () -> await(plain.to(address).listImages(ListImagesRequest.getDefaultInstance())));
    }
  }

  @Test
  void aCertificateOfAnotherCaIsRefused() throws Exception {
    TestCertificates other = TestCertificates.authority(Files.createDirectories(dir.resolve("other-ca")));
    TestCertificates.Issued forged = other.issue("ops"); // the admin's name, from the wrong CA
    try (GrpcTestClient stranger = new GrpcTestClient(TlsFiles.load(forged.cert(), forged.key(), ca.ca()))) {
      assertThrows(Exception.class, () -> await(stranger.to(address).registerImage(RegisterImageRequest.newBuilder()
          .setId("forged").setLocation(dir.resolve("debian12.raw").toString()).build())));
    }
    assertFalse(imageIds("ops").contains("forged"));
    assertTrue(imageIds("ops").contains("debian12"), "the same call with the CA's own certificate works");
  }

  @Test
  void aReaderThatRegistersIsDenied() {
    BootCacheGrpcClient audit = as("audit");
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(audit.registerImage(RegisterImageRequest.newBuilder()
        .setId("mine").setLocation(dir.resolve("debian12.raw").toString()).build())));
    assertFalse(imageIds("ops").contains("mine"), "nothing was registered");
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(audit.startBoot(StartBootRequest.newBuilder().setImageId("debian12").build())));
    // what it is granted it reads
    FetchResponse r = await(audit.fetch(FetchRequest.newBuilder().setImageId("debian12").setOffset(0).setLength(4096).build()));
    assertArrayEquals(Arrays.copyOf(debian, 4096), GrpcTestClient.verifiedRange(r, 0, 4096));
    assertEquals(r.getHashes().substring(0, 32), await(audit.getBlockManifest(GetBlockManifestRequest.newBuilder()
        .setImageId("debian12").build())).getHashes().substring(0, 32), "and the block manifest of it");
  }

  @Test
  void aHostCannotRecordIntoAnotherTenantsDisk() throws Exception {
    BootCacheGrpcClient hostA = as("host-a");
    BootCacheGrpcClient hostB = as("host-b");
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(hostA.startBoot(StartBootRequest.newBuilder().setDiskId("vm-b").build())));
    BootSession boot = await(hostB.startBoot(StartBootRequest.newBuilder().setDiskId("vm-b").build()));
    byte[] data = new byte[4096];
    Arrays.fill(data, (byte) 0x5a);
    // host-a learned host-b's session id: its writes into vm-b are refused, and nothing of them lands
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(record(hostA, List.of(write(boot.getId(), 8192, data)))));
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(hostA.endBoot(
        EndBootRequest.newBuilder().setSessionId(boot.getId()).build())));
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(hostA.recordWrite(RecordWriteRequest.newBuilder().setDiskId("vm-b")
        .setWrite(WriteEvent.newBuilder().setOffset(8192).setData(ByteString.copyFrom(data)).setSeq(1)).build())),
        "nor one acknowledged write");
    BootCacheGrpcClient ops = as("ops");
    assertArrayEquals(Arrays.copyOfRange(debian, 8192, 8192 + 4096), readDisk(ops, "vm-b", 8192, 4096));
    assertEquals(DiskState.ACTIVE, disk("vm-b").getState(), "a refused stream marks nothing stale");
    // the same write from the disk's own host lands: the refusal was the grant, not the write
    await(record(hostB, List.of(write(boot.getId(), 8192, data))));
    assertArrayEquals(data, readDisk(ops, "vm-b", 8192, 4096));
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(hostA.fetch(FetchRequest.newBuilder().setDiskId("vm-b")
        .setOffset(8192).setLength(4096).build())), "nor may host-a read it");
  }

  @Test
  void aHostReadingAnImageItIsNotGrantedIsDeniedAndItsStreamGoesOn() throws Exception {
    BootCacheGrpcClient hostA = as("host-a");
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(hostA.fetch(FetchRequest.newBuilder().setImageId("secret")
        .setOffset(0).setLength(4096).build())));
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(hostA.getBlockManifest(GetBlockManifestRequest.newBuilder()
        .setImageId("secret").build())), "nor its block manifest");
    assertEquals(List.of("debian12"), imageIds("host-a"), "it lists only what it may read");
    assertEquals(List.of("vm-a"), await(hostA.listDisks(ListDisksRequest.getDefaultInstance())).getDisksList()
        .stream().map(Disk::getId).toList());

    Map<Long, FetchResponse> answers = new ConcurrentHashMap<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    Promise<WriteStream<FetchRequest>> requests = Promise.promise();
    hostA.fetchStream(requests).onSuccess(responses -> responses.handler(r -> answers.put(r.getId(), r))
            .endHandler(v -> done.complete(null)).exceptionHandler(done::completeExceptionally))
        .onFailure(done::completeExceptionally);
    WriteStream<FetchRequest> out = await(requests.future());
    out.write(FetchRequest.newBuilder().setId(1).setImageId("secret").setOffset(0).setLength(4096).build());
    out.write(FetchRequest.newBuilder().setId(2).setImageId("debian12").setOffset(4096).setLength(4096).build());
    out.write(FetchRequest.newBuilder().setId(3).setDiskId("vm-b").setOffset(0).setLength(4096).build());
    out.end();
    done.get(60, TimeUnit.SECONDS);
    assertEquals(GrpcStatus.PERMISSION_DENIED.code, answers.get(1L).getErrorCode());
    assertEquals(0, answers.get(1L).getData().size(), "not a byte of it");
    assertEquals(GrpcStatus.PERMISSION_DENIED.code, answers.get(3L).getErrorCode());
    assertEquals(0, answers.get(2L).getErrorCode(), answers.get(2L).getErrorMessage());
    assertArrayEquals(Arrays.copyOfRange(debian, 4096, 8192), GrpcTestClient.verifiedRange(answers.get(2L), 4096, 4096));
  }

  @Test
  void aPrincipalWithoutAGrantReadsNothing() {
    BootCacheGrpcClient stranger = as("stranger");
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(stranger.fetch(FetchRequest.newBuilder().setImageId("debian12")
        .setOffset(0).setLength(4096).build())));
    assertEquals(List.of(), imageIds("stranger"));
    assertEquals(GrpcStatus.PERMISSION_DENIED, statusOf(stranger.getStats(GetStatsRequest.getDefaultInstance())));
  }

  @Test
  void theAdminEndpointSpeaksHttpsAnswersHealthToAnyoneAndTheRestToPrincipals() throws Exception {
    String base = "https://127.0.0.1:" + cluster.node(0).adminPort();
    HttpClient anonymous = https(null);
    HttpResponse<String> health = get(anonymous, base + "/health");
    assertEquals(200, health.statusCode());
    assertTrue(health.body().contains("\"UP\""), health.body());
    assertEquals(200, get(anonymous, base + "/health/live").statusCode(), "probes show no certificate");
    assertTrue(get(anonymous, base + "/health/ready").body().contains("\"READY\""));
    assertEquals(403, get(anonymous, base + "/health/other").statusCode(), "only the health paths are open");
    assertEquals(403, get(anonymous, base + "/metrics").statusCode());
    assertEquals(403, get(https(ca.issue("stranger").files()), base + "/images").statusCode());
    HttpResponse<String> images = get(https(ca.issue("host-a").files()), base + "/images");
    assertEquals(200, images.statusCode());
    assertTrue(images.body().contains("debian12") && !images.body().contains("secret"), images.body());
    assertTrue(get(https(ca.issue("audit").files()), base + "/metrics").body().contains("bootcache_"));
    assertThrows(Exception.class, () -> get(HttpClient.newHttpClient(), "http://127.0.0.1:" + cluster.node(0).adminPort() + "/health"));
  }

  static HttpClient https(TlsFiles client) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    TlsFiles trust = client != null ? client : ca.issue("nobody").files();
    context.init(client == null ? null : client.keyManagers().getKeyManagers(), trust.trustManagers().getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(context).build();
  }

  static HttpResponse<String> get(HttpClient http, String uri) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static List<String> imageIds(String principal) {
    return await(as(principal).listImages(ListImagesRequest.getDefaultInstance())).getImagesList().stream()
        .map(Image::getId).toList();
  }

  static Disk disk(String id) {
    return await(as("ops").listDisks(ListDisksRequest.getDefaultInstance())).getDisksList().stream()
        .filter(d -> d.getId().equals(id)).findFirst().orElseThrow();
  }
}
