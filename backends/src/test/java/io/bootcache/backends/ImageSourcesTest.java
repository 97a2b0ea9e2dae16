package io.bootcache.backends;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of source against the real thing (a file, nbdkit over TCP and a Unix socket, an HTTP server), byte for byte. */
class ImageSourcesTest {
  /** Not a multiple of any block size, and longer than one NBD read, so that long reads are split. */
  static final int SIZE = 9 * 1024 * 1024 + 777;
  static final SourceOptions QUICK = new SourceOptions(Duration.ofSeconds(5), Duration.ofSeconds(20), 2);
  /** Short timeouts, for servers that never answer. */
  static final SourceOptions IMPATIENT = new SourceOptions(Duration.ofSeconds(1), Duration.ofSeconds(1), 1);

  @TempDir
  static Path dir;
  static Path file;
  static byte[] content;
  static ImageServers servers;
  static RangeHttpServer http;

  @BeforeAll
  static void serve() throws Exception {
    content = new byte[SIZE];
    new SplittableRandom(11).nextBytes(content);
    file = Files.write(dir.resolve("golden.raw"), content);
    servers = new ImageServers(dir, dir);
    http = servers.http;
  }

  @AfterAll
  static void stop() throws Exception {
    servers.close();
  }

  static List<String> locations() {
    return List.of(file.toString(), file.toUri().toString(), servers.nbd("golden.raw"), servers.nbdUnix("golden.raw"),
        http.url("golden.raw"));
  }

  @Test
  void everyKindReadsTheFilesBytesAtAlignedUnalignedLongAndLastRanges() throws Exception {
    SplittableRandom random = new SplittableRandom(3);
    for (String location : locations()) {
      try (ImageSource source = ImageSources.open(location, QUICK, SourceVersion.NONE)) {
        assertEquals(SIZE, source.size(), location);
        assertSame(source, 0, 4096);
        assertSame(source, 4096 * 7, 128 * 1024);
        assertSame(source, 513, 1);
        assertSame(source, 12_345, 100_001);
        assertSame(source, SIZE - 1, 1);
        assertSame(source, SIZE - 128 * 1024, 128 * 1024);
        assertSame(source, 0, SIZE);
        for (int i = 0; i < 50; i++) {
          int length = 1 + random.nextInt(256 * 1024);
          assertSame(source, random.nextLong(SIZE - length + 1), length);
        }
        assertThrows(BadLocationException.class, () -> source.readFully(SIZE - 10, ByteBuffer.allocate(11)), location);
        assertThrows(BadLocationException.class, () -> source.readFully(SIZE, ByteBuffer.allocate(1)), location);
        assertThrows(BadLocationException.class, () -> source.readFully(-1, ByteBuffer.allocate(1)), location);
      }
    }
  }

  @Test
  void manyReadersAtOnceEachGetTheirOwnBytes() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      for (String location : List.of(servers.nbd("golden.raw"), http.url("golden.raw"))) {
        try (ImageSource source = ImageSources.open(location, QUICK, SourceVersion.NONE)) {
          List<Future<?>> reads = new ArrayList<>();
          for (int t = 0; t < 16; t++) {
            int seed = t;
            reads.add(pool.submit(() -> {
              SplittableRandom random = new SplittableRandom(seed);
              for (int i = 0; i < 40; i++) {
                int length = 4096 * (1 + random.nextInt(32));
                assertSame(source, random.nextLong(SIZE - length + 1), length);
              }
              return null;
            }));
          }
          for (Future<?> read : reads) read.get();
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aServerWithoutRangesAMissingObjectOrExportAndABadUrlAreBadLocations() throws Exception {
    http.honourRanges(false);
    try {
      BadLocationException e = assertThrows(BadLocationException.class,
          () -> ImageSources.open(http.url("golden.raw"), QUICK, SourceVersion.NONE));
      assertTrue(e.getMessage().contains("does not honour Range"), e.getMessage());
    } finally {
      http.honourRanges(true);
    }
    assertTrue(assertThrows(BadLocationException.class, () -> ImageSources.open(http.url("nope.raw"), QUICK, SourceVersion.NONE))
        .getMessage().contains("404"));
    assertThrows(BadLocationException.class, () -> ImageSources.open(servers.nbd("no-such-export"), QUICK, SourceVersion.NONE));
    assertThrows(BadLocationException.class, () -> ImageSources.open("nbd://", QUICK, SourceVersion.NONE));
    assertThrows(BadLocationException.class, () -> ImageSources.open("http:///x", QUICK, SourceVersion.NONE));
    assertThrows(BadLocationException.class, () -> ImageSources.open(dir.resolve("absent.raw").toString(), QUICK, SourceVersion.NONE));
    assertThrows(BadLocationException.class, () -> ImageSources.open(dir.toString(), QUICK, SourceVersion.NONE));
  }

  @Test
  void anUnreachableServerIsUnavailableNotABadLocation() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    for (String location : List.of("nbd://127.0.0.1:" + closedPort + "/", "http://127.0.0.1:" + closedPort + "/x.raw")) {
      IOException e = assertThrows(IOException.class, () -> ImageSources.open(location, QUICK, SourceVersion.NONE));
      assertFalse(e instanceof BadLocationException, location + ": " + e);
    }
  }

  @Test
  void aServerThatAcceptsAndNeverAnswersFailsWithinTheTimeouts() throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) {
      List<Socket> accepted = new ArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) accepted.add(silent.accept());
        } catch (IOException closed) {
          // the test is over
        }
      });
      acceptor.start();
      for (String location : List.of("nbd://127.0.0.1:" + silent.getLocalPort() + "/", "http://127.0.0.1:" + silent.getLocalPort() + "/x")) {
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> ImageSources.open(location, IMPATIENT, SourceVersion.NONE));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertFalse(e instanceof BadLocationException, location + ": " + e);
        assertTrue(ms < 10_000, location + " took " + ms + " ms to give up: " + e);
      }
    }
  }

  @Test
  void aReplacedHttpObjectIsRefusedNotMixed() throws Exception {
    Path changing = Files.write(dir.resolve("changing.raw"), Arrays.copyOf(content, 1 << 20));
    try (ImageSource source = ImageSources.open(http.url("changing.raw"), QUICK, SourceVersion.NONE)) {
      SourceVersion pinned = source.version();
      assertFalse(pinned.etag().isEmpty());
      assertFalse(pinned.lastModified().isEmpty());
      assertSame(source, 0, 4096);
      byte[] other = Arrays.copyOfRange(content, 1, (1 << 20) + 1);
      Files.write(changing, other);
      Files.setLastModifiedTime(changing, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
      BadLocationException e = assertThrows(BadLocationException.class, () -> source.readFully(0, ByteBuffer.allocate(4096)));
      assertTrue(e.getMessage().contains("changed"), e.getMessage());
      // and opening it again with the registered version is refused too
      assertThrows(BadLocationException.class, () -> ImageSources.open(http.url("changing.raw"), QUICK, pinned));
    }
  }

  @Test
  void fullAndResyncLocationsMustBeFilesAndUnknownSchemesAreRefused() {
    assertTrue(ImageSources.isFile("/var/lib/images/a.raw"));
    assertTrue(ImageSources.isFile("file:///var/lib/images/a.raw"));
    assertFalse(ImageSources.isFile("nbd://san:10809/golden"));
    assertFalse(ImageSources.isFile("nbd+unix:///golden?socket=/run/nbd.sock"));
    assertFalse(ImageSources.isFile("HTTPS://store.example/golden.raw"));
    assertFalse(ImageSources.isFile("nbds://san/golden"));
    assertTrue(assertThrows(BadLocationException.class, () -> ImageSources.open("s3://bucket/golden.raw", QUICK, SourceVersion.NONE))
        .getMessage().contains("scheme"));
  }

  static void assertSame(ImageSource source, long offset, int length) throws IOException {
    ByteBuffer dst = ByteBuffer.allocate(length);
    source.readFully(offset, dst);
    assertFalse(dst.hasRemaining());
    assertArrayEquals(Arrays.copyOfRange(content, (int) offset, (int) offset + length), dst.array(),
        source.location() + " at " + offset + "+" + length);
  }
}
