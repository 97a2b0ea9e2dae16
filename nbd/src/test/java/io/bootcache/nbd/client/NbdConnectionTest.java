package io.bootcache.nbd.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's NBD client against a real server (nbdkit): bytes, replies of both kinds, errors. */
class NbdConnectionTest {
  static final int SIZE = 3 * 1024 * 1024 + 1234;

  @TempDir
  static Path dir;
  static Path file;
  static byte[] content;

  @BeforeAll
  static void writeFile() throws IOException {
    content = new byte[SIZE];
    new SplittableRandom(7).nextBytes(content);
    file = Files.write(dir.resolve("disk.raw"), content);
  }

  @Test
  void manyReadsInFlightComeBackWithTheFilesBytesOverStructuredAndSimpleReplies() throws Exception {
    for (boolean structured : new boolean[] {true, false}) {
      try (Nbdkit server = new Nbdkit(dir, "file", file.toString()); NbdConnection c = NbdConnection.open(server.address(), structured)) {
        assertEquals(SIZE, c.size());
        assertEquals(structured, c.structuredReplies());
        readAtRandomAndCompare(c);
      }
    }
  }

  @Test
  void aServerThatDeclinesStructuredRepliesIsReadWithSimpleOnes() throws Exception {
    try (Nbdkit server = new Nbdkit(dir, "--no-sr", "file", file.toString());
        NbdConnection c = NbdConnection.open(server.address(), true)) {
      assertFalse(c.structuredReplies());
      readAtRandomAndCompare(c);
    }
  }

  @Test
  void aServerErrorFailsThatReadWithItsErrno() throws Exception {
    for (boolean structured : new boolean[] {true, false}) {
      try (Nbdkit server = new Nbdkit(dir, "--filter=error", "file", file.toString(), "error-pread-rate=1", "error-pread=EIO");
          NbdConnection c = NbdConnection.open(server.address(), structured)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.read(4096, 512).get());
        assertTrue(e.getCause().getMessage().contains("error 5 to read 4096+512"), e.getCause().getMessage());
      }
    }
  }

  @Test
  void readsOutsideTheExportAreRefusedBeforeTheyAreSent() throws Exception {
    try (Nbdkit server = new Nbdkit(dir, "file", file.toString()); NbdConnection c = NbdConnection.open(server.address(), true)) {
      assertThrows(IllegalArgumentException.class, () -> c.read(SIZE - 10, 11));
      assertThrows(IllegalArgumentException.class, () -> c.read(0, 0));
      assertArrayEquals(Arrays.copyOfRange(content, SIZE - 10, SIZE), bytes(c.read(SIZE - 10, 10).get()));
    }
  }

  @Test
  void anUnknownExportOrAMissingServerIsAClearError() throws Exception {
    // nbdkit's file plugin given a directory serves its files by name
    try (Nbdkit server = new Nbdkit(dir, "file", "dir=" + dir)) {
      NbdAddress missing = NbdAddress.parse(server.address().toString().replace("///", "///nope.raw"));
      IOException e = assertThrows(IOException.class, () -> NbdConnection.open(missing, true));
      assertTrue(e.getMessage().contains("refused export 'nope.raw'"), e.getMessage());
      NbdAddress known = NbdAddress.parse(server.address().toString().replace("///", "///disk.raw"));
      try (NbdConnection c = NbdConnection.open(known, true)) {
        assertEquals(SIZE, c.size());
      }
    }
    IOException e = assertThrows(IOException.class, () -> NbdConnection.open(NbdAddress.parse("nbd+unix:///?socket=" + dir.resolve("no.sock")), true));
    assertTrue(e.getMessage().startsWith("cannot connect to nbd+unix:///?socket="), e.getMessage());
  }

  private static void readAtRandomAndCompare(NbdConnection c) throws Exception {
    SplittableRandom rnd = new SplittableRandom(11);
    List<long[]> ranges = new ArrayList<>();
    List<CompletableFuture<ByteBuffer>> answers = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int length = 1 + rnd.nextInt(256 * 1024);
      long offset = rnd.nextLong(SIZE - length + 1);
      ranges.add(new long[] {offset, length});
      answers.add(c.read(offset, length));
    }
    for (int i = 0; i < ranges.size(); i++) {
      int from = (int) ranges.get(i)[0];
      assertArrayEquals(Arrays.copyOfRange(content, from, from + (int) ranges.get(i)[1]), bytes(answers.get(i).get()), "read " + i);
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
