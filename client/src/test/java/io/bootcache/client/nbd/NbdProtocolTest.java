package io.bootcache.client.nbd;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The NBD protocol itself, spoken over a raw socket to a server of file-backed exports: handshake,
 * options, flags, errors of every kind, many requests in flight, and a server that keeps serving
 * other clients whatever one client does.
 */
class NbdProtocolTest {
    static final int SIZE = 3 * 1024 * 1024 + 777; // not a multiple of 512 or 4096

    @TempDir
    static Path dir;
    static byte[] image;
    static Path imageFile;
    static Path diskFile;
    static FileExport ro;
    static FileExport rw;
    static NbdServer server;

    @BeforeAll
    static void start() throws IOException {
        image = new byte[SIZE];
        new Random(42).nextBytes(image);
        imageFile = Files.write(dir.resolve("image.raw"), image);
        diskFile = Files.write(dir.resolve("disk.raw"), image);
        ro = FileExport.readOnly("img", imageFile);
        rw = FileExport.writable("disk", diskFile);
        server = NbdServer.builder().catalog(ExportCatalog.of(List.of(ro, rw))).listen("127.0.0.1", 0).start();
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        ro.close();
        rw.close();
    }

    RawNbdClient connect() throws IOException {
        return new RawNbdClient(server.port()).greet();
    }

    /** Another client can still connect and read the right bytes. */
    static void assertServes() throws IOException {
        try (RawNbdClient c = new RawNbdClient(server.port()).greet()) {
            c.go("img");
            c.request(Nbd.CMD_READ, 0, 7, 100_000, 5000);
            RawNbdClient.SimpleReply r = c.readSimpleReply(5000);
            assertEquals(0, r.error());
            assertEquals(7, r.handle());
            assertArrayEquals(Arrays.copyOfRange(image, 100_000, 105_000), r.data());
        }
    }

    @Test
    void aClientThatDoesNotFinishTheHandshakeInTimeIsHungUpOn() throws IOException {
        try (NbdServer quick = NbdServer.builder().catalog(ExportCatalog.of(List.of(ro)))
                .listen("127.0.0.1", 0).handshakeTimeout(Duration.ofMillis(300)).start();
             RawNbdClient c = new RawNbdClient(quick.port()).greet()) {
            long start = System.nanoTime();
            assertEquals(-1, c.in.read(), "the server hangs up instead of waiting for options");
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
        }
    }

    @Test
    void greetingOffersFixedNewstyleAndNoZeroes() throws IOException {
        try (RawNbdClient c = connect()) {
            assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, c.handshakeFlags);
        }
    }

    @Test
    void listNamesEveryExport() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_LIST, new byte[0]);
            List<String> names = new java.util.ArrayList<>();
            RawNbdClient.OptionReply r;
            while ((r = c.readOptionReply()).type() == Nbd.REP_SERVER) {
                ByteBuffer b = ByteBuffer.wrap(r.data());
                byte[] name = new byte[b.getInt()];
                b.get(name);
                names.add(new String(name, StandardCharsets.UTF_8));
            }
            assertEquals(Nbd.REP_ACK, r.type());
            assertEquals(List.of("img", "disk"), names);

            c.sendOption(Nbd.OPT_LIST, new byte[] {1});
            assertEquals(Nbd.REP_ERR_INVALID, c.readOptionReply().type(), "NBD_OPT_LIST with data");
        }
    }

    @Test
    void goReportsOnlyTrueFlags() throws IOException {
        try (RawNbdClient c = connect()) {
            long[] info = c.go("img");
            assertEquals(SIZE, info[0]);
            assertEquals(Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_READ_ONLY | Nbd.FLAG_CAN_MULTI_CONN, info[1]);
        }
        try (RawNbdClient c = connect()) {
            long[] info = c.go("disk");
            assertEquals(SIZE, info[0]);
            assertEquals(Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_CAN_MULTI_CONN | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA
                    | Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES, info[1]);
        }
    }

    @Test
    void infoSendsBlockSizes() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_INFO, RawNbdClient.goData("img"));
            Map<Integer, byte[]> infos = new HashMap<>();
            RawNbdClient.OptionReply r;
            while ((r = c.readOptionReply()).type() == Nbd.REP_INFO) {
                infos.put((int) ByteBuffer.wrap(r.data()).getShort(), r.data());
            }
            assertEquals(Nbd.REP_ACK, r.type());
            ByteBuffer bs = ByteBuffer.wrap(infos.get(Nbd.INFO_BLOCK_SIZE));
            bs.getShort();
            assertEquals(1, bs.getInt(), "minimum");
            assertEquals(4096, bs.getInt(), "preferred");
            assertEquals(32 << 20, bs.getInt(), "maximum");
            // NBD_OPT_INFO leaves the client in negotiation: GO still works.
            assertEquals(SIZE, c.go("img")[0]);
        }
    }

    @Test
    void unknownOptionIsUnsupportedAndNegotiationGoesOn() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(4242, new byte[] {1, 2, 3});
            RawNbdClient.OptionReply r = c.readOptionReply();
            assertEquals(4242, r.option());
            assertEquals(Nbd.REP_ERR_UNSUP, r.type());
            c.sendOption(Nbd.OPT_STARTTLS, new byte[0]);
            assertEquals(Nbd.REP_ERR_UNSUP, c.readOptionReply().type(), "no TLS");
            assertEquals(SIZE, c.go("img")[0]);
        }
    }

    @Test
    void unknownExportIsErrUnknownAndNegotiationGoesOn() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_GO, RawNbdClient.goData("nope"));
            RawNbdClient.OptionReply r = c.readOptionReply();
            assertEquals(Nbd.REP_ERR_UNKNOWN, r.type());
            assertTrue(new String(r.data(), StandardCharsets.UTF_8).contains("nope"));
            assertEquals(SIZE, c.go("img")[0]);
        }
    }

    @Test
    void malformedGoIsInvalid() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_GO, new byte[] {0, 0, 0, 50, 'a'}); // name length past the data
            assertEquals(Nbd.REP_ERR_INVALID, c.readOptionReply().type());
            assertEquals(SIZE, c.go("img")[0]);
        }
    }

    @Test
    void exportNameOfUnknownExportHangsUp() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertTrue(c.closedByServer());
        }
        assertServes();
    }

    @Test
    void exportNameEntersTransmission() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_EXPORT_NAME, "img".getBytes(StandardCharsets.UTF_8));
            assertEquals(SIZE, c.in.readLong());
            assertEquals(Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_READ_ONLY | Nbd.FLAG_CAN_MULTI_CONN, c.in.readUnsignedShort());
            // no 124 zero bytes: the client asked for NO_ZEROES
            c.request(Nbd.CMD_READ, 0, 1, 0, 512);
            assertArrayEquals(Arrays.copyOf(image, 512), c.readSimpleReply(512).data());
        }
    }

    @Test
    void abortIsAcknowledged() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_ABORT, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.readOptionReply().type());
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void readsPastTheEndAreEinval() throws IOException {
        try (RawNbdClient c = connect()) {
            c.go("img");
            c.request(Nbd.CMD_READ, 0, 1, SIZE - 100, 101);
            assertEquals(Nbd.EINVAL, c.readSimpleReply(101).error());
            c.request(Nbd.CMD_READ, 0, 2, SIZE, 1);
            assertEquals(Nbd.EINVAL, c.readSimpleReply(1).error());
            c.request(Nbd.CMD_READ, 0, 3, -4096L, 4096); // offset 2^64 - 4096
            assertEquals(Nbd.EINVAL, c.readSimpleReply(4096).error());
            c.request(Nbd.CMD_READ, 0, 4, 0, 0);
            assertEquals(Nbd.EINVAL, c.readSimpleReply(0).error(), "empty read");
            c.request(Nbd.CMD_READ, 0, 5, 0, (32 << 20) + 1);
            assertEquals(Nbd.EINVAL, c.readSimpleReply(0).error(), "over the maximum block size");
            // the last byte exactly is fine, and the connection goes on
            c.request(Nbd.CMD_READ, 0, 6, SIZE - 100, 100);
            RawNbdClient.SimpleReply r = c.readSimpleReply(100);
            assertEquals(0, r.error());
            assertArrayEquals(Arrays.copyOfRange(image, SIZE - 100, SIZE), r.data());
        }
    }

    @Test
    void writesToAReadOnlyExportAreEperm() throws IOException {
        try (RawNbdClient c = connect()) {
            c.go("img");
            c.request(Nbd.CMD_WRITE, 0, 1, 0, 4096, new byte[4096]);
            assertEquals(Nbd.EPERM, c.readSimpleReply(0).error());
            c.request(Nbd.CMD_WRITE_ZEROES, 0, 2, 0, 4096);
            assertEquals(Nbd.EPERM, c.readSimpleReply(0).error());
            c.request(Nbd.CMD_TRIM, 0, 3, 0, 4096);
            assertEquals(Nbd.EPERM, c.readSimpleReply(0).error());
            c.request(Nbd.CMD_FLUSH, 0, 4, 0, 0);
            assertEquals(Nbd.EINVAL, c.readSimpleReply(0).error(), "flush was not offered");
            // the write's payload was consumed: the stream is still in step
            c.request(Nbd.CMD_READ, 0, 5, 0, 4096);
            assertArrayEquals(Arrays.copyOf(image, 4096), c.readSimpleReply(4096).data());
        }
        assertArrayEquals(image, Files.readAllBytes(imageFile));
    }

    @Test
    void writesPastTheEndAreEnospcAndChangeNothing() throws IOException {
        try (RawNbdClient c = connect()) {
            c.go("disk");
            c.request(Nbd.CMD_WRITE, 0, 1, SIZE - 10, 20, new byte[20]);
            assertEquals(Nbd.ENOSPC, c.readSimpleReply(0).error());
            c.request(Nbd.CMD_WRITE_ZEROES, 0, 2, SIZE - 10, 20);
            assertEquals(Nbd.ENOSPC, c.readSimpleReply(0).error());
            c.request(Nbd.CMD_TRIM, 0, 3, SIZE - 10, 20);
            assertEquals(Nbd.EINVAL, c.readSimpleReply(0).error());
            c.request(Nbd.CMD_WRITE, 0x40, 4, 0, 4, new byte[4]); // unknown flag
            assertEquals(Nbd.EINVAL, c.readSimpleReply(0).error());
            c.request(99, 0, 5, 0, 0); // unknown command
            assertEquals(Nbd.EINVAL, c.readSimpleReply(0).error());
        }
        assertArrayEquals(image, Files.readAllBytes(diskFile));
        assertEquals(SIZE, Files.size(diskFile));
    }

    @Test
    void manyRequestsInFlightAreAllAnsweredWithTheirHandles() throws IOException {
        Random random = new Random(7);
        int count = 300;
        Map<Long, long[]> asked = new HashMap<>();
        try (RawNbdClient c = connect()) {
            c.go("img");
            for (int i = 0; i < count; i++) {
                int length = 1 + random.nextInt(200_000);
                long offset = random.nextInt(SIZE - length);
                long handle = 0x1000_0000_0000L + i;
                asked.put(handle, new long[] {offset, length});
                c.request(Nbd.CMD_READ, 0, handle, offset, length);
            }
            for (int i = 0; i < count; i++) {
                assertEquals(Nbd.SIMPLE_REPLY_MAGIC, c.in.readInt());
                assertEquals(0, c.in.readInt());
                long[] req = asked.remove(c.in.readLong());
                assertTrue(req != null, "a reply to a handle that was asked once");
                byte[] data = c.in.readNBytes((int) req[1]);
                assertArrayEquals(Arrays.copyOfRange(image, (int) req[0], (int) (req[0] + req[1])), data);
            }
            assertTrue(asked.isEmpty());
        }
    }

    @Test
    void structuredRepliesCarryReadsAndErrors() throws IOException {
        try (RawNbdClient c = connect()) {
            c.sendOption(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            assertEquals(Nbd.REP_ACK, c.readOptionReply().type());
            long[] info = c.go("img");
            assertTrue((info[1] & Nbd.FLAG_SEND_DF) != 0, "one chunk per read: DF is honoured");
            c.request(Nbd.CMD_READ, 0, 11, 1234, 5000);
            assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, c.in.readInt());
            assertEquals(Nbd.REPLY_FLAG_DONE, c.in.readUnsignedShort());
            assertEquals(Nbd.REPLY_TYPE_OFFSET_DATA, c.in.readUnsignedShort());
            assertEquals(11, c.in.readLong());
            assertEquals(8 + 5000, c.in.readInt());
            assertEquals(1234, c.in.readLong());
            assertArrayEquals(Arrays.copyOfRange(image, 1234, 6234), c.in.readNBytes(5000));

            c.request(Nbd.CMD_READ, 0, 12, SIZE, 10);
            assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, c.in.readInt());
            assertEquals(Nbd.REPLY_FLAG_DONE, c.in.readUnsignedShort());
            assertEquals(Nbd.REPLY_TYPE_ERROR, c.in.readUnsignedShort());
            assertEquals(12, c.in.readLong());
            assertEquals(6, c.in.readInt());
            assertEquals(Nbd.EINVAL, c.in.readInt());
            assertEquals(0, c.in.readUnsignedShort());
        }
    }

    @Test
    void badRequestMagicDropsOnlyThatConnection() throws IOException {
        try (RawNbdClient c = connect()) {
            c.go("img");
            c.out.writeInt(0xdeadbeef);
            c.out.write(new byte[24]);
            c.out.flush();
            assertTrue(c.closedByServer());
        }
        assertServes();
    }

    @Test
    void truncatedRequestClosesThatConnectionCleanly() throws IOException {
        try (RawNbdClient c = connect()) {
            c.go("img");
            c.out.writeInt(Nbd.REQUEST_MAGIC);
            c.out.writeShort(0);
            c.out.writeShort(Nbd.CMD_READ);
            c.out.flush();
            c.socket.shutdownOutput(); // 8 of 28 header bytes, then the end
            assertTrue(c.closedByServer());
        }
        assertServes();
    }

    @Test
    void clientVanishingMidWriteChangesNothing() throws IOException {
        try (RawNbdClient c = connect()) {
            c.go("disk");
            c.request(Nbd.CMD_WRITE, 0, 1, 8192, 1 << 20, null);
            c.out.write(new byte[1000]); // 1000 of 1 MiB, then gone
            c.out.flush();
        }
        assertServes();
        try (RawNbdClient c = connect()) {
            c.go("disk");
            c.request(Nbd.CMD_READ, 0, 2, 8192, 4096);
            assertArrayEquals(Arrays.copyOfRange(image, 8192, 8192 + 4096), c.readSimpleReply(4096).data());
        }
        assertArrayEquals(image, Files.readAllBytes(diskFile));
    }

    @Test
    void clientVanishingDuringNegotiationIsHarmless() throws IOException {
        try (RawNbdClient c = connect()) {
            c.out.writeLong(Nbd.IHAVEOPT);
            c.out.writeInt(Nbd.OPT_GO);
            c.out.writeInt(100);
            c.out.write(new byte[10]);
            c.out.flush();
        }
        try (RawNbdClient c = new RawNbdClient(server.port())) {
            c.in.readLong();
            c.out.writeInt(0x80); // an unknown client flag
            c.out.flush();
            c.in.readLong();
            c.in.readUnsignedShort();
            assertTrue(c.closedByServer());
        }
        assertServes();
    }

    @Test
    void disconnectAnswersWhatIsInFlightThenCloses() throws IOException {
        try (RawNbdClient c = connect()) {
            c.go("img");
            for (int i = 0; i < 20; i++) {
                c.request(Nbd.CMD_READ, 0, i, i * 65536L, 65536);
            }
            c.request(Nbd.CMD_DISC, 0, 99, 0, 0);
            for (int i = 0; i < 20; i++) {
                assertEquals(0, c.readSimpleReply(65536).error());
            }
            assertTrue(c.closedByServer());
        }
    }
}
