package io.bootcache.client;

import com.google.protobuf.ByteString;
import io.bootcache.backends.SourceVersion;
import io.bootcache.client.LocationBackend.Where;
import io.bootcache.tls.TlsFiles;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.BootProfile;
import io.bootcache.v1.BootSession;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.FetchRequest;
import io.bootcache.v1.FetchResponse;
import io.bootcache.v1.GetProfileRequest;
import io.bootcache.v1.GetStatsRequest;
import io.bootcache.v1.Image;
import io.bootcache.v1.ListDisksRequest;
import io.bootcache.v1.ListImagesRequest;
import io.bootcache.v1.MarkStaleRequest;
import io.bootcache.v1.RecordWriteRequest;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.ResetDiskRequest;
import io.bootcache.v1.ResyncDiskRequest;
import io.bootcache.v1.StartBootRequest;
import io.bootcache.v1.Stats;
import io.bootcache.v1.WarmRequest;
import io.bootcache.v1.WarmResponse;
import io.bootcache.v1.WriteEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bootcache client: reads image and disk bytes through the cluster, verified, and falls back to the
 * backend itself whenever the cluster cannot answer, so a VM never sees an error the backend could have
 * answered.
 *
 * <p>The read path, top to bottom: check the input; a disk known to be stale goes to the backend; pick a
 * node (round robin) and send the request on one of its long-lived FetchStreams; on the answer verify
 * every covered block's SHA-256 and slice the asked range out (no copy); on a cluster failure try the
 * next node, and when none answers read the backend. A caller's mistake (unknown id, range past the end,
 * bad length) fails the future with a {@link BootCacheException} and is never retried or fallen back.
 *
 * <p>Futures complete on the client's event loops: do not block in their callbacks.
 */
public final class BootCacheClient implements AutoCloseable {
  public static final int DEFAULT_PORT = 7400;
  private static final Logger LOG = Logger.getLogger(BootCacheClient.class.getName());
  /** How long a node's word that a disk is stale is taken without asking again. */
  private static final long STALE_RECHECK_NANOS = 5_000_000_000L;
  /** The least time between catalog refreshes triggered by reads of targets the catalog does not know. */
  private static final long CATALOG_REFRESH_INTERVAL_NANOS = 5_000_000_000L;

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final List<GrpcClient> grpcClients; // one per stream slot: each stream gets its own connection
  private final GrpcClient unaryGrpc; // unary calls and record streams, from any thread
  private final GrpcClient probeGrpc; // health checks of nodes that are down, on connections of their own
  private final List<NodeChannel> nodes;
  private final Duration deadline;
  private final Duration adminDeadline;
  private final Duration warmDeadline;
  private final int retries;
  private final int chunkBytes;
  private final long maxReadBytes;
  private final BackendReader backend;
  /** True when the backend is the default one, reading the files the cluster told of. */
  private final boolean filesBackend;
  private final ExecutorService backendIo;
  private final TlsFiles tls; // null: plain gRPC
  private final Catalog catalog;
  private final Counters counters = new Counters();
  private final ManifestCache manifests;
  private final boolean requirePinnedBlocks;
  private final AtomicBoolean mismatchLogged = new AtomicBoolean();
  private final Map<String, String> staleDisks = new ConcurrentHashMap<>();
  /** Disks a node answered FAILED_PRECONDITION (stale) for, until when to believe it without asking again. */
  private final Map<String, Long> staleByNode = new ConcurrentHashMap<>();
  private final AtomicLong requestIds = new AtomicLong();
  private final AtomicInteger nextNode = new AtomicInteger();
  private final AtomicReference<CompletableFuture<Void>> catalogRefresh = new AtomicReference<>();
  private volatile long lastCatalogRefresh = System.nanoTime() - CATALOG_REFRESH_INTERVAL_NANOS - 1;
  private volatile boolean closed;

  private BootCacheClient(Builder b) {
    if (b.nodes.isEmpty()) throw new IllegalArgumentException("at least one node address is needed");
    this.deadline = b.deadline;
    this.adminDeadline = b.adminDeadline;
    this.warmDeadline = b.warmDeadline;
    this.retries = b.retries;
    this.chunkBytes = b.chunkBytes;
    this.maxReadBytes = b.maxReadBytes;
    this.tls = b.tls;
    this.ownsVertx = b.vertx == null;
    this.vertx = ownsVertx ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(b.streamsPerNode)) : b.vertx;
    this.grpcClients = new ArrayList<>();
    for (int i = 0; i < b.streamsPerNode; i++) grpcClients.add(newGrpcClient());
    this.unaryGrpc = newGrpcClient();
    this.probeGrpc = newGrpcClient();
    this.nodes = new ArrayList<>();
    for (String a : b.nodes) nodes.add(new NodeChannel(a, vertx, unaryGrpc, grpcClients, probeGrpc, deadline));
    this.catalog = new Catalog(b.locations);
    catalog.putImages(b.knownImages);
    this.requirePinnedBlocks = b.requirePinnedBlocks;
    this.manifests = new ManifestCache(this::imageRecord, req -> callAny(BootCacheGrpcClient.GetBlockManifest, req,
        adminDeadline, true).toCompletionStage().toCompletableFuture(), b.manifestCacheBytes);
    this.filesBackend = b.backend == null;
    this.backend = filesBackend ? new LocationBackend(catalog::location, catalog::pinOf) : b.backend;
    this.backendIo = Executors.newFixedThreadPool(b.backendThreads, daemonThreads("bootcache-backend"));
    // The catalog (backing files for the fallback) is learned on the first answered read of an unknown target.
  }

  public static Builder builder() {
    return new Builder();
  }

  private GrpcClient newGrpcClient() {
    int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, deadline.toMillis()));
    HttpClientOptions http = new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false)
        .setConnectTimeout(ms)
        .setTcpNoDelay(true)
        .setHttp2ConnectionWindowSize(16 * 1024 * 1024)
        .setInitialSettings(new Http2Settings().setInitialWindowSize(4 * 1024 * 1024));
    if (tls != null) {
      // the node's certificate must name the address dialled (a SAN): the host name is verified
      http.setSsl(true).setUseAlpn(true)
          .setKeyCertOptions(KeyCertOptions.wrap(tls.keyManagers()))
          .setTrustOptions(TrustOptions.wrap(tls.trustManagers()));
    }
    GrpcClientOptions grpc = new GrpcClientOptions().setScheduleDeadlineAutomatically(true).setMaxMessageSize(64L * 1024 * 1024);
    return GrpcClient.client(vertx, grpc, http);
  }

  // ------------------------------------------------------------------ reads

  public CompletableFuture<ByteBuffer> read(Target target, long offset, long length) {
    return read(target, offset, length, "");
  }

  /**
   * The bytes [offset, offset + length) of the target, verified. The buffer may be read-only and may
   * share memory with the response it came in; it is the caller's to keep.
   *
   * @param sessionId the boot session this read belongs to ("" or null: none); its misses get cached
   */
  public CompletableFuture<ByteBuffer> read(Target target, long offset, long length, String sessionId) {
    Objects.requireNonNull(target, "target");
    counters.requests.increment();
    if (closed) return failed(new BootCacheException(GrpcStatus.UNAVAILABLE, "client closed"));
    if (offset < 0) return failed(new BootCacheException(GrpcStatus.INVALID_ARGUMENT, "offset must not be negative, got " + offset));
    if (length <= 0) return failed(new BootCacheException(GrpcStatus.INVALID_ARGUMENT, "length must be positive, got " + length));
    if (length > maxReadBytes) {
      return failed(new BootCacheException(GrpcStatus.INVALID_ARGUMENT,
          "length " + length + " is over the largest read of " + maxReadBytes + " bytes"));
    }
    String session = sessionId == null ? "" : sessionId;
    if (length <= chunkBytes) return readChunk(target, offset, (int) length, session);
    return readInChunks(target, offset, (int) length, session);
  }

  public byte[] readBlocking(Target target, long offset, long length) {
    return readBlocking(target, offset, length, "");
  }

  public byte[] readBlocking(Target target, long offset, long length, String sessionId) {
    ByteBuffer b = await(read(target, offset, length, sessionId));
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** A large range as chunk-sized requests in parallel, assembled into one buffer. */
  private CompletableFuture<ByteBuffer> readInChunks(Target target, long offset, int length, String session) {
    List<CompletableFuture<ByteBuffer>> parts = new ArrayList<>();
    for (int done = 0; done < length; done += chunkBytes) {
      parts.add(readChunk(target, offset + done, Math.min(chunkBytes, length - done), session));
    }
    CompletableFuture<ByteBuffer> result = new CompletableFuture<>();
    CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).whenComplete((v, err) -> {
      if (err != null) { // fail with the part's own exception, as a single read would
        result.completeExceptionally(err instanceof CompletionException && err.getCause() != null ? err.getCause() : err);
        return;
      }
      ByteBuffer all = ByteBuffer.allocate(length);
      for (CompletableFuture<ByteBuffer> p : parts) all.put(p.join());
      result.complete(all.flip());
    });
    return result;
  }

  private CompletableFuture<ByteBuffer> readChunk(Target target, long offset, int length, String session) {
    CompletableFuture<ByteBuffer> result = new CompletableFuture<>();
    String stale = target.isDisk() ? staleReason(target.id()) : null;
    if (stale != null) {
      fallback(target, offset, length, GrpcStatus.FAILED_PRECONDITION, "disk " + target.id() + " is stale: " + stale, result);
      return result;
    }
    if (requirePinnedBlocks && knownUnpinned(target)) { // no node's answer could be checked: not asked
      fallback(target, offset, length, GrpcStatus.UNAVAILABLE, "image " + target.id() + " has no pinned blocks, and this "
          + "client requires them", result);
      return result;
    }
    FetchRequest.Builder req = FetchRequest.newBuilder()
        .setId(requestIds.incrementAndGet()).setOffset(offset).setLength(length).setSessionId(session);
    if (target.isDisk()) req.setDiskId(target.id()); else req.setImageId(target.id());
    new ReadAttempt(target, req.build(), result, Math.floorMod(nextNode.getAndIncrement(), nodes.size())).send();
    return result;
  }

  /** One read on its way through the nodes: each failure of the cluster moves it to the next node, then to the backend. */
  private final class ReadAttempt implements FetchCallback {
    private final Target target;
    private final FetchRequest request;
    private final CompletableFuture<ByteBuffer> result;
    private final int firstNode;
    private int attempt;

    ReadAttempt(Target target, FetchRequest request, CompletableFuture<ByteBuffer> result, int firstNode) {
      this.target = target;
      this.request = request;
      this.result = result;
      this.firstNode = firstNode;
    }

    void send() {
      NodeChannel node = nodes.get((firstNode + attempt) % nodes.size());
      // a node marked down is skipped, except on the last try of a read no file can answer (a linked clone)
      boolean lastHope = attempt >= Math.min(retries, 64) && filesBackend && catalog.hasNoFile(target);
      if (node.isDown() && !lastHope) {
        onFailure(new BootCacheException(GrpcStatus.UNAVAILABLE, node.downReason()));
        return;
      }
      node.stream().send(request, this);
    }

    @Override
    public void onResponse(FetchResponse r) {
      counters.hits.add(r.getHits());
      counters.misses.add(r.getMisses());
      ByteBuffer bytes = BlockVerifier.verifyAndSlice(r, request.getOffset(), (int) request.getLength());
      if (bytes == null) {
        counters.verifyFailures.increment();
        fallback(target, request.getOffset(), (int) request.getLength(), GrpcStatus.UNAVAILABLE,
            "the node's answer did not match its SHA-256 hashes", result);
        return;
      }
      // blocks a disk's layer overrides have no pinned hash: only answers of images with pinned blocks are checked
      if (target.isDisk() || (!requirePinnedBlocks && knownUnpinned(target))) {
        answer(bytes);
        return;
      }
      manifests.forImage(target.id()).whenComplete((manifest, err) -> {
        if (err == null && (manifest == null ? !requirePinnedBlocks : manifest.pins(r))) {
          answer(bytes);
          return;
        }
        String why = err != null ? "no block manifest of " + target + " could be had to check the node's answer ("
            + err.getMessage() + ")" : manifest == null ? target + " has no block manifest this client can check "
            + "(registered without --pin-blocks, or larger than manifestCacheBytes), and it requires pinned blocks"
            : "the node answered blocks of " + target + " at " + r.getOffset()
            + " whose hashes are not the ones pinned at registration";
        counters.manifestMismatches.increment();
        if (mismatchLogged.compareAndSet(false, true)) LOG.warning(why + "; read from the backend instead (logged once)");
        fallback(target, request.getOffset(), (int) request.getLength(), GrpcStatus.UNAVAILABLE, why, result);
      });
    }

    private void answer(ByteBuffer bytes) {
      if (!catalog.knows(target)) refreshCatalogSoon();
      result.complete(bytes);
    }

    @Override
    public void onFailure(BootCacheException failure) {
      GrpcStatus s = failure.status();
      if (BootCacheException.isCallerError(s)) {
        counters.errors.increment();
        result.completeExceptionally(failure);
        return;
      }
      if (s == GrpcStatus.FAILED_PRECONDITION) { // a stale disk: a full clone's true bytes are in its own file
        if (target.isDisk()) staleByNode.put(target.id(), System.nanoTime() + STALE_RECHECK_NANOS);
        fallback(target, request.getOffset(), (int) request.getLength(), s, failure.getMessage(), result);
        return;
      }
      if (attempt < Math.min(retries, 64) && !closed) {
        attempt++;
        counters.retries.increment();
        send();
        return;
      }
      fallback(target, request.getOffset(), (int) request.getLength(), GrpcStatus.UNAVAILABLE, failure.getMessage(), result);
    }
  }

  /**
   * Reads the range from the backend ourselves, on the blocking-I/O threads. A disk that no file holds
   * (a linked clone: its writes live only in the cluster) fails instead, with {@code status} and
   * {@code why}: its image's file would serve the image's bytes in place of the disk's own writes.
   */
  private void fallback(Target target, long offset, int length, GrpcStatus status, String why,
      CompletableFuture<ByteBuffer> result) {
    try {
      backendIo.execute(() -> {
        try {
          if (!catalog.knows(target)) { // e.g. a disk registered after we last looked: ask once more
            try {
              refreshCatalog().get(adminDeadline.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
              LOG.log(Level.FINE, "catalog refresh before a fallback read", e);
            }
          }
          if (filesBackend && catalog.hasNoFile(target)) {
            counters.errors.increment();
            String back = status == GrpcStatus.FAILED_PRECONDITION ? "; `bootcache disk resync " + target.id()
                + " --from FILE` rebuilds its layer, `bootcache disk reset " + target.id() + "` discards its writes" : "";
            result.completeExceptionally(new BootCacheException(status, why + "; no file holds the true bytes of "
                + target + " (a linked clone's writes live only in the cluster's layer), so it is not read from its image"
                + back));
            return;
          }
          ByteBuffer b = backend.read(target, offset, length);
          counters.fallbackReads.increment();
          result.complete(b);
        } catch (BootCacheException e) {
          counters.errors.increment();
          // A range past the end is the caller's error either way; anything else means we had no answer.
          // A changed image file is refused as the node refuses it: no other answer exists.
          result.completeExceptionally(e.status() == GrpcStatus.OUT_OF_RANGE || e.status() == GrpcStatus.INVALID_ARGUMENT
              || e.status() == GrpcStatus.FAILED_PRECONDITION ? e
              : new BootCacheException(GrpcStatus.UNAVAILABLE,
                  "the cluster did not answer (" + why + ") and the backend could not serve it: " + e.getMessage(), e));
        } catch (IOException | RuntimeException e) {
          counters.errors.increment();
          result.completeExceptionally(new BootCacheException(GrpcStatus.UNAVAILABLE,
              "the cluster did not answer (" + why + ") and the backend could not be read: " + FetchStream.describe(e), e));
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      result.completeExceptionally(new BootCacheException(GrpcStatus.UNAVAILABLE, "client closed"));
    }
  }

  public ClientStats clientStats() {
    return counters.snapshot();
  }

  // ------------------------------------------------------------------ stale disks

  /**
   * Marks a disk stale: this client stops serving it from the cluster at once, and tells the cluster
   * (best effort: the local mark holds even when no node can be told).
   */
  public CompletableFuture<Disk> markStale(String diskId, String reason) {
    staleDisks.put(diskId, reason);
    LOG.warning("disk " + diskId + " marked stale: " + reason);
    return callAny(BootCacheGrpcClient.MarkStale, MarkStaleRequest.newBuilder().setDiskId(diskId).setReason(reason).build(),
        adminDeadline, true).toCompletionStage().toCompletableFuture();
  }

  /** Treats the disk as stale in this client only (its reads go to its own file), without telling the cluster. */
  public void markStaleHere(String diskId, String reason) {
    staleDisks.put(diskId, reason);
  }

  /**
   * Writes into the disk's layer in the cluster, on the first node that answers, and returns once it
   * is applied: the disk as it is then (STALE: the layer was not written). {@code seq} rises in the
   * order the writes were acknowledged. Blocking; fails with {@link BootCacheException} when no node
   * could take it within the deadline.
   */
  public Disk recordWrite(String diskId, long offset, byte[] data, long seq) {
    RecordWriteRequest req = RecordWriteRequest.newBuilder().setDiskId(diskId)
        .setWrite(WriteEvent.newBuilder().setOffset(offset).setData(ByteString.copyFrom(data)).setSeq(seq)).build();
    Disk d = await(callAny(BootCacheGrpcClient.RecordWrite, req, deadline, true));
    catalog.put(d);
    return d;
  }

  /** Why reads of the disk skip the cluster now, or null: marked stale here, or the node said so lately. */
  private String staleReason(String diskId) {
    String local = staleDisks.get(diskId);
    if (local != null) return local;
    Long until = staleByNode.get(diskId);
    if (until == null) return null;
    if (System.nanoTime() - until < 0) return "the cluster says so";
    staleByNode.remove(diskId, until); // ask the cluster again: it may have been resynced
    return null;
  }

  /** Whether this client treats the disk as stale (reads go to the backend). */
  public boolean isStale(String diskId) {
    return staleDisks.containsKey(diskId);
  }

  /** Rebuilds a full clone's layer from its own file; this client then serves it from the cluster again. */
  public Disk resyncDisk(String diskId) {
    return resyncDisk(diskId, "");
  }

  /**
   * Rebuilds a disk's layer from {@code source}, a raw file (as the node sees it) holding the disk's whole
   * content: what brings a stale linked clone back, from a raw copy of its overlay.
   */
  public Disk resyncDisk(String diskId, String source) {
    return activated(await(callAny(BootCacheGrpcClient.ResyncDisk,
        ResyncDiskRequest.newBuilder().setDiskId(diskId).setSource(source).build(), adminDeadline, true)));
  }

  /** Discards a linked clone's recorded writes: it reads as its image again, from a fresh layer. */
  public Disk resetDisk(String diskId) {
    return activated(await(callAny(BootCacheGrpcClient.ResetDisk,
        ResetDiskRequest.newBuilder().setDiskId(diskId).build(), adminDeadline, true)));
  }

  /** A disk the cluster made active again under a new generation: this client serves it from the cluster again. */
  private Disk activated(Disk d) {
    catalog.put(d);
    staleDisks.remove(d.getId());
    staleByNode.remove(d.getId());
    return d;
  }

  // ------------------------------------------------------------------ images, disks, sessions, admin

  /** Registers an image without pinned blocks: the node reads nothing of it until a VM does. */
  public Image registerImage(String id, String location, int blockSize) {
    return registerImage(id, location, blockSize, false);
  }

  /**
   * Registers an image. With {@code pinBlocks} the node reads it whole for its block manifest, so this
   * runs under the warm-up deadline and is not sent again to another node when it is slow (that would
   * read the image again); the client then checks every block of it against the manifest.
   */
  public Image registerImage(String id, String location, int blockSize, boolean pinBlocks) {
    Image image = await(callAny(BootCacheGrpcClient.RegisterImage, RegisterImageRequest.newBuilder()
        .setId(id).setLocation(location).setBlockSize(blockSize).setPinBlocks(pinBlocks).build(),
        pinBlocks ? warmDeadline : adminDeadline, !pinBlocks));
    catalog.put(image);
    return image;
  }

  public Disk registerDisk(String id, String imageId, CloneMode mode, String location) {
    Disk disk = await(callAny(BootCacheGrpcClient.RegisterDisk, RegisterDiskRequest.newBuilder()
        .setId(id).setImageId(imageId).setMode(mode).setLocation(location == null ? "" : location).build(), adminDeadline, true));
    Disk before = catalog.disk(id);
    catalog.put(disk);
    if (before != null && disk.getGeneration() > before.getGeneration()) { // a fresh layer: nothing of it is lost
      staleDisks.remove(id);
      staleByNode.remove(id);
    }
    return disk;
  }

  public List<Image> images() {
    List<Image> all = await(callAny(BootCacheGrpcClient.ListImages, ListImagesRequest.getDefaultInstance(), adminDeadline, true)).getImagesList();
    catalog.putImages(all);
    return all;
  }

  public List<Disk> disks() {
    List<Disk> all = await(callAny(BootCacheGrpcClient.ListDisks, ListDisksRequest.getDefaultInstance(), adminDeadline, true)).getDisksList();
    catalog.putDisks(all);
    return all;
  }

  public WarmResponse warm(String imageId) {
    return await(callAny(BootCacheGrpcClient.Warm, WarmRequest.newBuilder().setImageId(imageId).build(), warmDeadline, false));
  }

  public Stats stats() {
    return await(callAny(BootCacheGrpcClient.GetStats, GetStatsRequest.getDefaultInstance(), adminDeadline, true));
  }

  public BootProfile profile(String imageId) {
    return await(callAny(BootCacheGrpcClient.GetProfile, GetProfileRequest.newBuilder().setImageId(imageId).build(), adminDeadline, true));
  }

  /** Starts a boot session for the target and opens its recorder. */
  public Recorder startBoot(Target target, String host) {
    StartBootRequest.Builder req = StartBootRequest.newBuilder().setHost(host == null ? "" : host);
    if (target.isDisk()) req.setDiskId(target.id()); else req.setImageId(target.id());
    int first = Math.floorMod(nextNode.getAndIncrement(), nodes.size());
    BootSession session = await(callFrom(first, BootCacheGrpcClient.StartBoot, req.build(), adminDeadline, true));
    return new Recorder(this, target, session, first);
  }

  /**
   * A unary call on the first node that answers, starting at a round-robin node. Moves on when a node is
   * unreachable (or, if {@code retryOnDeadline}, too slow); any answer, error or not, is final.
   */
  private <Req, Resp> Future<Resp> callAny(ServiceMethod<Resp, Req> method, Req request, Duration timeout, boolean retryOnDeadline) {
    return callFrom(Math.floorMod(nextNode.getAndIncrement(), nodes.size()), method, request, timeout, retryOnDeadline);
  }

  <Req, Resp> Future<Resp> callFrom(int first, ServiceMethod<Resp, Req> method, Req request, Duration timeout, boolean retryOnDeadline) {
    return callAttempt(first, 0, method, request, timeout, retryOnDeadline);
  }

  private <Req, Resp> Future<Resp> callAttempt(int first, int attempt, ServiceMethod<Resp, Req> method, Req request,
                                              Duration timeout, boolean retryOnDeadline) {
    NodeChannel node = nodes.get((first + attempt) % nodes.size());
    int maxAttempts = Math.max(retries + 1, nodes.size());
    // the last attempt asks even a node marked down: a call has no fallback
    return node.call(method, request, timeout, attempt + 1 >= maxAttempts).recover(err -> {
      GrpcStatus s = err instanceof BootCacheException b ? b.status() : GrpcStatus.UNAVAILABLE;
      boolean retryable = s == GrpcStatus.UNAVAILABLE || (retryOnDeadline && s == GrpcStatus.DEADLINE_EXCEEDED);
      if (retryable && attempt + 1 < maxAttempts && !closed) {
        return callAttempt(first, attempt + 1, method, request, timeout, retryOnDeadline);
      }
      return Future.failedFuture(err);
    });
  }

  NodeChannel node(int index) {
    return nodes.get(Math.floorMod(index, nodes.size()));
  }

  int nodeCount() { return nodes.size(); }
  int retries() { return retries; }
  Duration deadline() { return deadline; }
  Duration adminDeadline() { return adminDeadline; }
  Vertx vertx() { return vertx; }
  GrpcClient recordGrpc() { return unaryGrpc; }

  /** An image this client knows to be registered without pinned blocks. */
  private boolean knownUnpinned(Target target) {
    Image known = target.isDisk() ? null : catalog.image(target.id());
    return known != null && known.getBlockManifestDigest().isEmpty();
  }

  /** The image's record as this client holds it (a saved export list, or the catalog), asking the cluster if unknown. */
  private CompletableFuture<Image> imageRecord(String id) {
    Image known = catalog.image(id);
    if (known != null) return CompletableFuture.completedFuture(known);
    return refreshCatalog().thenApply(v -> catalog.image(id));
  }

  /**
   * Learns the cluster's images and disks (for the fallback's backing files). One refresh at a time:
   * a caller during a refresh gets the one under way. Never fails; what it could not learn stays unknown.
   */
  /** A refresh unless one started in the last few seconds: for the hot path, which may see many unknown ids. */
  private void refreshCatalogSoon() {
    long last = lastCatalogRefresh;
    if (System.nanoTime() - last > CATALOG_REFRESH_INTERVAL_NANOS) refreshCatalog();
  }

  private CompletableFuture<Void> refreshCatalog() {
    CompletableFuture<Void> running = catalogRefresh.get();
    if (running != null && !running.isDone()) return running;
    CompletableFuture<Void> mine = new CompletableFuture<>();
    if (!catalogRefresh.compareAndSet(running, mine)) return catalogRefresh.get();
    lastCatalogRefresh = System.nanoTime();
    if (closed) {
      mine.complete(null);
      return mine;
    }
    callAny(BootCacheGrpcClient.ListImages, ListImagesRequest.getDefaultInstance(), adminDeadline, true)
        .onSuccess(r -> catalog.putImages(r.getImagesList()))
        .compose(v -> callAny(BootCacheGrpcClient.ListDisks, ListDisksRequest.getDefaultInstance(), adminDeadline, true))
        .onSuccess(r -> catalog.putDisks(r.getDisksList()))
        .onComplete(ar -> mine.complete(null));
    return mine;
  }

  @Override
  public void close() {
    if (closed) return;
    CompletableFuture<Void> refresh = catalogRefresh.get();
    if (refresh != null) { // let it finish rather than cut it off mid-call
      try {
        refresh.get(2, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(Level.FINE, "catalog refresh at close", e);
      }
    }
    closed = true;
    for (NodeChannel n : nodes) n.close();
    backendIo.shutdown();
    try {
      backend.close();
    } catch (Exception e) {
      LOG.log(Level.FINE, "closing the backend reader", e);
    }
    for (GrpcClient g : grpcClients) g.close();
    unaryGrpc.close();
    probeGrpc.close();
    if (ownsVertx) {
      try {
        vertx.close().await();
      } catch (Exception e) {
        LOG.log(Level.FINE, "closing vertx", e);
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  private static <T> CompletableFuture<T> failed(Throwable t) {
    return CompletableFuture.failedFuture(t);
  }

  /** Waits for a Vert.x future from a plain thread; failures surface as {@link BootCacheException}. */
  static <T> T await(Future<T> f) {
    return await(f.toCompletionStage().toCompletableFuture());
  }

  static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BootCacheException(GrpcStatus.CANCELLED, "interrupted", e);
    } catch (ExecutionException | CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof BootCacheException b) throw new BootCacheException(b.status(), b.getMessage(), b);
      throw new BootCacheException(GrpcStatus.UNKNOWN, FetchStream.describe(c), c);
    }
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  // ------------------------------------------------------------------ builder

  /** Settings for a client; every one has a default except the nodes. */
  public static final class Builder {
    private final List<String> nodes = new ArrayList<>();
    private Duration deadline = Duration.ofSeconds(2);
    private Duration adminDeadline = Duration.ofSeconds(30);
    private Duration warmDeadline = Duration.ofMinutes(30);
    private int retries = 2;
    private int streamsPerNode = 2;
    private int chunkBytes = 1024 * 1024;
    private long maxReadBytes = 64L * 1024 * 1024;
    private int backendThreads = 8;
    private BackendReader backend;
    private Vertx vertx;
    private TlsFiles tls;
    private final Map<String, Where> locations = new LinkedHashMap<>();
    private final List<Image> knownImages = new ArrayList<>();
    private long manifestCacheBytes = ManifestCache.DEFAULT_BYTES;
    private boolean requirePinnedBlocks;

    private Builder() {}

    /** Node addresses, "host:port". Any node serves any request. */
    public Builder nodes(List<String> addresses) {
      for (String a : addresses) node(a);
      return this;
    }

    public Builder nodes(String... addresses) {
      return nodes(List.of(addresses));
    }

    public Builder node(String address) {
      NodeChannel.parse(address); // fail early on a bad address
      nodes.add(address.trim());
      return this;
    }

    /** How long one read may wait for a node before the next node (or the backend) is asked. */
    public Builder deadline(Duration d) {
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("deadline must be positive, got " + d);
      deadline = d;
      return this;
    }

    /** Deadline of the admin calls (register, list, stats, profile, boot sessions). */
    public Builder adminDeadline(Duration d) {
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("adminDeadline must be positive, got " + d);
      adminDeadline = d;
      return this;
    }

    public Builder warmDeadline(Duration d) {
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("warmDeadline must be positive, got " + d);
      warmDeadline = d;
      return this;
    }

    /** How many more nodes a read tries after the first fails, before reading the backend. */
    public Builder retries(int n) {
      if (n < 0) throw new IllegalArgumentException("retries must not be negative, got " + n);
      retries = n;
      return this;
    }

    /** Long-lived FetchStreams per node, each on its own connection and event loop. */
    public Builder streamsPerNode(int n) {
      if (n < 1 || n > 64) throw new IllegalArgumentException("streamsPerNode must be 1..64, got " + n);
      streamsPerNode = n;
      return this;
    }

    /** Reads longer than this are sent as several requests (keep it under the nodes' request cap). */
    public Builder chunkBytes(int n) {
      if (n < 512) throw new IllegalArgumentException("chunkBytes must be at least 512, got " + n);
      chunkBytes = n;
      return this;
    }

    /** The longest read accepted at all; longer ones fail with INVALID_ARGUMENT. */
    public Builder maxReadBytes(long n) {
      if (n < 1 || n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("maxReadBytes must be 1.." + (Integer.MAX_VALUE - 64));
      maxReadBytes = n;
      return this;
    }

    /** Threads reading the backend on fallback. */
    public Builder backendThreads(int n) {
      if (n < 1) throw new IllegalArgumentException("backendThreads must be positive, got " + n);
      backendThreads = n;
      return this;
    }

    /** The fallback reader; default: a {@link LocationBackend} on the locations the cluster told of. */
    public Builder backend(BackendReader reader) {
      backend = Objects.requireNonNull(reader);
      return this;
    }

    /**
     * Take image blocks from the cluster only when they match the hashes pinned at registration: an image
     * without a block manifest this client can check (registered without pinned blocks, its record
     * without a digest, or its manifest larger than {@link #manifestCacheBytes}) is read from where it
     * lives instead, as is an answer that does not match. Off by default: then such images are checked
     * against the node's hashes only.
     */
    public Builder requirePinnedBlocks(boolean require) {
      requirePinnedBlocks = require;
      return this;
    }

    /**
     * Memory for the block manifests of the images read (32 bytes per block: 8 MiB per GiB of 4 KiB
     * blocks); the least recently read are dropped past it. Default 128 MiB.
     */
    public Builder manifestCacheBytes(long n) {
      if (n < 0) throw new IllegalArgumentException("manifestCacheBytes must not be negative, got " + n);
      manifestCacheBytes = n;
      return this;
    }

    /**
     * An image as the cluster registered it, known before the cluster is asked (a saved export list):
     * the default fallback then reads its file only while the file matches its pinned size and mtime.
     */
    public Builder knownImage(Image image) {
      knownImages.add(Objects.requireNonNull(image));
      return this;
    }

    /** Where an image's or disk's bytes are, for the default fallback, overriding what the cluster says. */
    public Builder location(String id, Path file) {
      return location(id, file.toString());
    }

    /**
     * Where an image's or disk's bytes are, for the default fallback, overriding what the cluster says:
     * a file path, {@code nbd://HOST[:PORT]/EXPORT}, {@code nbd+unix:///EXPORT?socket=PATH} or an
     * {@code http(s)://} URL.
     */
    public Builder location(String id, String location) {
      return location(id, location, SourceVersion.NONE);
    }

    /** As {@link #location(String, String)}, pinned to the HTTP object's version the cluster registered. */
    public Builder location(String id, String location, SourceVersion version) {
      locations.put(Objects.requireNonNull(id), new Where(Objects.requireNonNull(location), Objects.requireNonNull(version)));
      return this;
    }

    /**
     * gRPC over TLS: this client's certificate and key (PEM; its subject CN is the principal the nodes
     * check against their grants) and the CA that signed the nodes' certificates. Read and checked now.
     */
    public Builder tls(Path cert, Path key, Path ca) {
      return tls(TlsFiles.load(cert, key, ca));
    }

    public Builder tls(TlsFiles files) {
      tls = Objects.requireNonNull(files, "tls");
      return this;
    }

    /** Share an existing Vert.x instance instead of starting one (the client then does not close it). */
    public Builder vertx(Vertx v) {
      vertx = Objects.requireNonNull(v);
      return this;
    }

    public BootCacheClient build() {
      return new BootCacheClient(this);
    }
  }
}
