package io.bootcache.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of hostile NBD conversations against the real server: structured ones (every prefix of
 * a good conversation cut short, every byte of it flipped, every option and command with edge
 * flags, offsets and lengths, options announcing up to 4 GiB) and random ones (random bytes after
 * a random depth of a good conversation). Each case is one connection that says its bytes, then
 * ends its side; the server must answer within the handshake deadline and close it. After every
 * case a witness connection, open all along, must still read the right bytes; after every batch a
 * new connection must too; at the end no connection is left open.
 */
class NbdFuzzTest {
  static final int SIZE = 1 << 20;
  static final int MAX_REQUEST = 64 * 1024;
  static final int BATCH = 200;

  @TempDir
  Path dir;

  byte[] image;
  NbdServer server;
  RawNbdClient witness;
  final Random random = new Random(8);
  int cases;

  @Test
  void thousandsOfHostileConversationsLeaveTheServerServing() throws Exception {
    image = new byte[SIZE];
    random.nextBytes(image);
    Path ro = Files.write(dir.resolve("ro.raw"), image);
    Path rw = Files.write(dir.resolve("rw.raw"), new byte[SIZE]);
    try (FileExport roExport = FileExport.readOnly("ro", ro);
         FileExport rwExport = FileExport.writable("rw", rw);
         NbdServer s = NbdServer.builder().catalog(ExportCatalog.of(List.of(roExport, rwExport)))
             .listen("127.0.0.1", 0).maxRequestBytes(MAX_REQUEST).maxInFlightBytes(256 * 1024).maxInFlightRequests(64)
             .handshakeTimeout(Duration.ofSeconds(3)).start()) {
      server = s;
      witness = new RawNbdClient(server.port()).greet();
      witness.go("ro");

      List<byte[]> structured = structuredCases();
      for (byte[] c : structured) run(c);
      int randomCases = 6000 - structured.size();
      for (int i = 0; i < randomCases; i++) run(randomCase());

      witness.close();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (server.connectionCount() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
      assertEquals(0, server.connectionCount(), "every fuzzed connection was closed");
      assertTrue(cases >= 6000, "cases run: " + cases);
    }
  }

  /** One case: its bytes, then end of input; the server closes within its deadline; the witness still reads. */
  private void run(byte[] bytes) throws IOException {
    cases++;
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(5000);
      try {
        socket.getOutputStream().write(bytes);
        socket.shutdownOutput();
      } catch (IOException e) {
        // the server hung up mid-way: that is an answer too
      }
      assertTrue(closedWithin(socket.getInputStream()), "case " + cases + " was not closed by the server: "
          + hex(bytes));
    }
    witnessReads();
    if (cases % BATCH == 0) newConnectionReads();
  }

  /** Reads until the end of the stream; false if the server kept it open past the socket timeout. */
  private static boolean closedWithin(InputStream in) {
    byte[] sink = new byte[64 * 1024];
    try {
      while (in.read(sink) >= 0) {
        // what the server answered is dropped: its shape is the protocol tests' business
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  private void witnessReads() throws IOException {
    int offset = random.nextInt(SIZE / 4096) * 4096;
    witness.request(Nbd.CMD_READ, 0, cases, offset, 4096);
    RawNbdClient.SimpleReply r = witness.readSimpleReply(4096);
    assertEquals(0, r.error());
    assertEquals(cases, r.handle());
    assertArrayEquals(Arrays.copyOfRange(image, offset, offset + 4096), r.data(), "witness after case " + cases);
  }

  private void newConnectionReads() throws IOException {
    try (RawNbdClient c = new RawNbdClient(server.port()).greet()) {
      assertEquals(SIZE, c.go("ro")[0]);
      c.request(Nbd.CMD_READ, 0, 1, SIZE - 8192, 8192);
      assertArrayEquals(Arrays.copyOfRange(image, SIZE - 8192, SIZE), c.readSimpleReply(8192).data());
    }
  }

  // ------------------------------------------------------------------ cases

  private List<byte[]> structuredCases() {
    List<byte[]> out = new ArrayList<>();
    byte[] good = goodConversation(true);
    // every prefix, cut short
    for (int n = 0; n < good.length; n++) out.add(Arrays.copyOf(good, n));
    // every byte flipped, a few ways
    for (int i = 0; i < good.length; i++) {
      for (int mask : new int[] {0x01, 0x80, 0xff}) {
        byte[] c = good.clone();
        c[i] ^= (byte) mask;
        out.add(c);
      }
    }
    // every option number around the known ones, with lengths from none to 4 GiB announced
    long[] lengths = {0, 1, 3, 4, 7, Negotiation.MAX_OPTION_BYTES, Negotiation.MAX_OPTION_BYTES + 1L, 0x7fffffffL,
        0xffffffffL};
    for (int n = 0; n <= 12; n++) {
      int option = n;
      for (long length : lengths) out.add(bytes(w -> {
        greeting(w);
        w.writeLong(Nbd.IHAVEOPT);
        w.writeInt(option);
        w.writeInt((int) length);
        w.write(new byte[(int) Math.min(length, 300)]);
      }));
    }
    // NBD_OPT_GO / INFO with name lengths and information counts that lie
    for (int option : new int[] {Nbd.OPT_GO, Nbd.OPT_INFO}) {
      for (long nameLength : new long[] {0, 2, 3, 100, 0xffffffffL}) {
        for (int infos : new int[] {0, 1, 0xffff}) out.add(bytes(w -> {
          greeting(w);
          ByteArrayOutputStream data = new ByteArrayOutputStream();
          DataOutputStream d = new DataOutputStream(data);
          d.writeInt((int) nameLength);
          d.writeBytes("ro");
          d.writeShort(infos);
          d.writeShort(Nbd.INFO_BLOCK_SIZE);
          option(w, option, data.toByteArray());
        }));
      }
    }
    // every command with edge flags, offsets and lengths, on both exports, simple and structured replies
    int[] commands = {Nbd.CMD_READ, Nbd.CMD_WRITE, Nbd.CMD_DISC, Nbd.CMD_FLUSH, Nbd.CMD_TRIM, 5, Nbd.CMD_WRITE_ZEROES, 7,
        0xffff};
    int[] flags = {0, Nbd.CMD_FLAG_FUA, Nbd.CMD_FLAG_NO_HOLE, Nbd.CMD_FLAG_DF, 0xffff};
    long[] offsets = {0, SIZE - 1, SIZE, SIZE + 1L, Long.MAX_VALUE, -1};
    long[] requestLengths = {0, 1, 4096, MAX_REQUEST, MAX_REQUEST + 1L, 0xffffffffL};
    for (String export : new String[] {"ro", "rw"}) {
      for (boolean structured : new boolean[] {false, true}) {
        for (int command : commands) {
          for (int flag : flags) {
            for (long offset : offsets) {
              for (long length : requestLengths) {
                if (random.nextInt(4) != 0) continue; // a quarter of the grid: about 1,600 cases
                out.add(bytes(w -> {
                  transmission(w, export, structured);
                  request(w, command, flag, offset, length);
                  if (command == Nbd.CMD_WRITE) w.write(new byte[(int) Math.min(length, 8192)]);
                  request(w, Nbd.CMD_READ, 0, 0, 4096);
                }));
              }
            }
          }
        }
      }
    }
    // many reads at once, then a disconnect while they are in flight
    out.add(bytes(w -> {
      transmission(w, "ro", false);
      for (int i = 0; i < 500; i++) request(w, Nbd.CMD_READ, 0, (long) (i % 16) * MAX_REQUEST, MAX_REQUEST);
      request(w, Nbd.CMD_DISC, 0, 0, 0);
    }));
    return out;
  }

  /** Random bytes after a random depth of a good conversation, or random requests after a good start. */
  private byte[] randomCase() {
    byte[] good = goodConversation(random.nextBoolean());
    int keep = random.nextInt(good.length + 1);
    if (random.nextInt(3) == 0) {
      return bytes(w -> {
        transmission(w, random.nextBoolean() ? "ro" : "rw", random.nextBoolean());
        for (int i = random.nextInt(20); i >= 0; i--) {
          int command = random.nextInt(8);
          long offset = random.nextBoolean() ? random.nextInt(SIZE) : random.nextLong();
          long length = random.nextBoolean() ? random.nextInt(2 * MAX_REQUEST) : random.nextInt() & 0xffffffffL;
          request(w, command, random.nextInt(8), offset, length);
          if (command == Nbd.CMD_WRITE) w.write(new byte[(int) Math.min(length, random.nextInt(9000))]);
        }
      });
    }
    byte[] tail = new byte[random.nextInt(200)];
    random.nextBytes(tail);
    byte[] c = Arrays.copyOf(good, keep + tail.length);
    System.arraycopy(tail, 0, c, keep, tail.length);
    return c;
  }

  /** What a well-behaved client says: flags, a list, structured replies, a go, a read, a write, a disconnect. */
  private byte[] goodConversation(boolean structured) {
    return bytes(w -> {
      greeting(w);
      option(w, Nbd.OPT_LIST, new byte[0]);
      if (structured) option(w, Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
      option(w, Nbd.OPT_GO, RawNbdClient.goData("rw"));
      request(w, Nbd.CMD_READ, 0, 4096, 4096);
      request(w, Nbd.CMD_WRITE, Nbd.CMD_FLAG_FUA, 8192, 512);
      w.write(new byte[512]);
      request(w, Nbd.CMD_FLUSH, 0, 0, 0);
      request(w, Nbd.CMD_DISC, 0, 0, 0);
    });
  }

  private void transmission(DataOutputStream w, String export, boolean structured) throws IOException {
    greeting(w);
    if (structured) option(w, Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
    option(w, Nbd.OPT_GO, RawNbdClient.goData(export));
  }

  private static void greeting(DataOutputStream w) throws IOException {
    w.writeInt(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES);
  }

  private static void option(DataOutputStream w, int option, byte[] data) throws IOException {
    w.writeLong(Nbd.IHAVEOPT);
    w.writeInt(option);
    w.writeInt(data.length);
    w.write(data);
  }

  private static void request(DataOutputStream w, int type, int flags, long offset, long length) throws IOException {
    w.writeInt(Nbd.REQUEST_MAGIC);
    w.writeShort(flags);
    w.writeShort(type);
    w.writeLong(0x1234);
    w.writeLong(offset);
    w.writeInt((int) length);
  }

  private interface Writes {
    void to(DataOutputStream w) throws IOException;
  }

  private static byte[] bytes(Writes writes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writes.to(new DataOutputStream(out));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(b.length, 96); i++) s.append(String.format("%02x", b[i]));
    return s + (b.length > 96 ? "... (" + b.length + " bytes)" : "");
  }
}
