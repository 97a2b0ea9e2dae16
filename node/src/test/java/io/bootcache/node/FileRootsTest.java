package io.bootcache.node;

import static io.bootcache.node.GrpcTestClient.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bootcache.node.GrpcTestClient.Refusal;
import io.bootcache.v1.BootCacheGrpcClient;
import io.bootcache.v1.CloneMode;
import io.bootcache.v1.Disk;
import io.bootcache.v1.Image;
import io.bootcache.v1.RegisterDiskRequest;
import io.bootcache.v1.RegisterImageRequest;
import io.bootcache.v1.ResyncDiskRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on which host files a node serves, over real gRPC: images only under --image-root, full
 * clones only under --disk-root, symlinks resolved first, and no full clone over an image's file or
 * another disk's.
 */
class FileRootsTest {
  static final int SIZE = 256 * 1024;

  @TempDir
  static Path dir;
  static Path images;
  static Path disks;
  static LocalCluster cluster;
  static GrpcTestClient grpc;
  static BootCacheGrpcClient node;
  static String address;
  static Path golden;

  @BeforeAll
  static void start() throws Exception {
    images = Files.createDirectories(dir.resolve("images"));
    disks = Files.createDirectories(dir.resolve("disks"));
    // a root given as a symlink counts as the directory it leads to
    Path linkedRoot = Files.createSymbolicLink(dir.resolve("more-images"), Files.createDirectories(dir.resolve("store")));
    cluster = LocalCluster.builder().nodes(1).dataDir(dir.resolve("data"))
        .configure(b -> b.imageRoots(List.of(images, linkedRoot)).diskRoots(List.of(disks))).start();
    address = cluster.grpcAddresses().get(0);
    grpc = new GrpcTestClient();
    node = grpc.to(address);
    golden = TestFiles.random(images, "golden.raw", SIZE, 1);
    await(node.registerImage(image("golden", golden.toString())));
  }

  @AfterAll
  static void stop() {
    if (grpc != null) grpc.close();
    if (cluster != null) cluster.close();
  }

  static RegisterImageRequest image(String id, String location) {
    return RegisterImageRequest.newBuilder().setId(id).setLocation(location).build();
  }

  static RegisterDiskRequest fullClone(String id, Path file) {
    return RegisterDiskRequest.newBuilder().setId(id).setImageId("golden").setMode(CloneMode.FULL)
        .setLocation(file.toString()).build();
  }

  Refusal refusedImage(String id, String location) {
    return grpc.refusal(address, BootCacheGrpcClient.RegisterImage, image(id, location));
  }

  Refusal refusedDisk(String id, Path file) {
    return grpc.refusal(address, BootCacheGrpcClient.RegisterDisk, fullClone(id, file));
  }

  static void assertDenied(Refusal r, String... named) {
    assertEquals(GrpcStatus.PERMISSION_DENIED, r.status(), r.message());
    for (String n : named) assertTrue(r.message().contains(n), "'" + r.message() + "' should name " + n);
  }

  @Test
  void hostFilesOutsideTheRootsAreRefusedWhetherOrNotTheyExist() {
    assertDenied(refusedImage("shadow", "/etc/shadow"), "/etc/shadow", images.toString(), "--image-root");
    assertDenied(refusedImage("passwd", "/etc/passwd"), "/etc/passwd");
    assertDenied(refusedImage("nothing", "/etc/no-such-file"), "/etc/no-such-file");
    // a path that climbs out of a root is judged where it lands
    assertDenied(refusedImage("climb", images + "/../../../../etc/passwd"), "/etc/passwd");
    assertDenied(refusedDisk("vm-shadow", Path.of("/etc/shadow")), "/etc/shadow", disks.toString(), "--disk-root");
  }

  @Test
  void aSymlinkInsideARootThatLeadsOutIsRefused() throws Exception {
    Path escape = Files.createSymbolicLink(images.resolve("escape.raw"), Path.of("/etc/passwd"));
    assertDenied(refusedImage("escape", escape.toString()), "/etc/passwd");
    // a directory link works the same
    Path etc = Files.createSymbolicLink(images.resolve("etc"), Path.of("/etc"));
    assertDenied(refusedImage("escape2", etc.resolve("passwd").toString()), "/etc/passwd");
  }

  @Test
  void locationsThatAreNotAbsolutePathsAreRefused() {
    Refusal uri = refusedImage("uri", golden.toUri().toString());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, uri.status(), uri.message());
    assertTrue(uri.message().contains("URI"), uri.message());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, refusedImage("uri2", "file:///etc/shadow").status());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, refusedImage("relative", "images/golden.raw").status());
    assertEquals(GrpcStatus.INVALID_ARGUMENT, refusedImage("dir", images.toString()).status());
  }

  @Test
  void aFullCloneOverItsImagesFileIsRefused() throws Exception {
    // the image's own path is outside the disk roots
    assertDenied(refusedDisk("vm-golden", golden), golden.toString());
    // a hard link inside a disk root is the same file: NBD would write into the golden image
    Path hard = Files.createLink(disks.resolve("golden-link.raw"), golden);
    assertDenied(refusedDisk("vm-hard", hard), "image golden");
    // a symlink inside a disk root is judged by the file it leads to
    Path soft = Files.createSymbolicLink(disks.resolve("golden-soft.raw"), golden);
    assertDenied(refusedDisk("vm-soft", soft), golden.toString());
  }

  @Test
  void aFullCloneOverAnotherDisksFileIsRefused() throws Exception {
    Path own = Files.copy(golden, disks.resolve("vm-a.raw"));
    await(node.registerDisk(fullClone("vm-a", own)));
    assertDenied(refusedDisk("vm-b", own), "disk vm-a");
    assertDenied(refusedDisk("vm-c", Files.createLink(disks.resolve("vm-c.raw"), own)), "disk vm-a");
    // nor may an image be registered over a disk's file, which NBD writes into
    Path intoImages = Files.createLink(images.resolve("vm-a-as-image.raw"), own);
    assertDenied(refusedImage("from-vm-a", intoImages.toString()), "disk vm-a");
    // registering vm-a again with its own file changes nothing
    assertEquals("vm-a", await(node.registerDisk(fullClone("vm-a", own))).getId());
  }

  @Test
  void goodRegistrationsAreAcceptedAndStoredAsRealPaths() throws Exception {
    byte[] content = Files.readAllBytes(golden);
    Path inStore = Files.copy(golden, dir.resolve("store").resolve("other.raw"));
    Image viaLinkedRoot = await(node.registerImage(image("other", dir.resolve("more-images").resolve("other.raw").toString())));
    assertEquals(inStore.toRealPath().toString(), viaLinkedRoot.getLocation());
    // a symlink that stays inside a root is fine; the node keeps where it leads
    Path alias = Files.createSymbolicLink(images.resolve("alias.raw"), golden);
    Image aliased = await(node.registerImage(image("alias", alias.toString())));
    assertEquals(golden.toRealPath().toString(), aliased.getLocation());
    byte[] read = GrpcTestClient.verifiedRange(await(node.fetch(GrpcTestClient.image("alias", 4096, 8192))), 4096, 8192);
    assertArrayEquals(Arrays.copyOfRange(content, 4096, 4096 + 8192), read);
    Disk full = await(node.registerDisk(fullClone("vm-good", Files.copy(golden, disks.resolve("vm-good.raw")))));
    assertEquals(disks.resolve("vm-good.raw").toRealPath().toString(), full.getLocation());
  }

  @Test
  void aResyncSourceOutsideTheRootsIsRefused() throws Exception {
    await(node.registerDisk(RegisterDiskRequest.newBuilder().setId("vm-linked").setImageId("golden")
        .setMode(CloneMode.LINKED).build()));
    Refusal r = grpc.refusal(address, BootCacheGrpcClient.ResyncDisk,
        ResyncDiskRequest.newBuilder().setDiskId("vm-linked").setSource("/etc/passwd").build());
    assertDenied(r, "/etc/passwd");
  }
}
