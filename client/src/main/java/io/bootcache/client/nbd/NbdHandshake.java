package io.bootcache.client.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The fixed newstyle negotiation of one connection: greets, answers options until the
 * client picks an export (NBD_OPT_GO or NBD_OPT_EXPORT_NAME) or leaves.
 */
final class NbdHandshake {
    /** Options carry at most an export name (4096 bytes) and a few info requests. */
    private static final int MAX_OPTION_BYTES = 16 * 1024;

    private final DataInputStream in;
    private final DataOutputStream out;
    private final ExportCatalog catalog;
    private final NbdServer.Settings settings;
    private boolean noZeroes;
    private boolean structuredReplies;

    /** What the client chose: the export, and whether reads get structured replies. */
    record Negotiated(NbdExport export, boolean structuredReplies) {}

    NbdHandshake(DataInputStream in, DataOutputStream out, ExportCatalog catalog, NbdServer.Settings settings) {
        this.in = in;
        this.out = out;
        this.catalog = catalog;
        this.settings = settings;
    }

    /** Returns the export to serve, or empty if the client aborted or must be disconnected. */
    Optional<Negotiated> negotiate() throws IOException {
        out.writeLong(Nbd.NBDMAGIC);
        out.writeLong(Nbd.IHAVEOPT);
        out.writeShort(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
        out.flush();

        int clientFlags = in.readInt();
        if ((clientFlags & ~(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES)) != 0) {
            throw new ProtocolViolation("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        noZeroes = (clientFlags & Nbd.FLAG_C_NO_ZEROES) != 0;

        while (true) {
            long magic = in.readLong();
            if (magic != Nbd.IHAVEOPT) {
                throw new ProtocolViolation("bad option magic 0x" + Long.toHexString(magic));
            }
            int option = in.readInt();
            long length = in.readInt() & 0xffffffffL;
            if (length > MAX_OPTION_BYTES) {
                if (option == Nbd.OPT_EXPORT_NAME) {
                    throw new ProtocolViolation("export name of " + length + " bytes");
                }
                in.skipNBytes(length);
                reply(option, Nbd.REP_ERR_TOO_BIG, "option data of " + length + " bytes is too big");
                continue;
            }
            byte[] data = in.readNBytes((int) length);
            if (data.length != length) {
                throw new java.io.EOFException("client left during option " + option);
            }

            switch (option) {
                case Nbd.OPT_EXPORT_NAME -> {
                    String name = new String(data, StandardCharsets.UTF_8);
                    Optional<NbdExport> export = catalog.find(name);
                    if (export.isEmpty()) {
                        // NBD_OPT_EXPORT_NAME cannot answer an error: the spec says hang up.
                        throw new ProtocolViolation("unknown export '" + name + "' in NBD_OPT_EXPORT_NAME");
                    }
                    out.writeLong(export.get().size());
                    out.writeShort(transmissionFlags(export.get()));
                    if (!noZeroes) {
                        out.write(new byte[124]);
                    }
                    out.flush();
                    return Optional.of(new Negotiated(export.get(), structuredReplies));
                }
                case Nbd.OPT_ABORT -> {
                    reply(option, Nbd.REP_ACK, null);
                    return Optional.empty();
                }
                case Nbd.OPT_LIST -> {
                    if (length != 0) {
                        reply(option, Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
                        continue;
                    }
                    for (NbdExport e : catalog.list()) {
                        byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                        byte[] description = e.description().getBytes(StandardCharsets.UTF_8);
                        replyHeader(option, Nbd.REP_SERVER, 4 + name.length + description.length);
                        out.writeInt(name.length);
                        out.write(name);
                        out.write(description);
                    }
                    reply(option, Nbd.REP_ACK, null);
                }
                case Nbd.OPT_INFO, Nbd.OPT_GO -> {
                    Optional<NbdExport> chosen = info(option, data);
                    if (option == Nbd.OPT_GO && chosen.isPresent()) {
                        return Optional.of(new Negotiated(chosen.get(), structuredReplies));
                    }
                }
                case Nbd.OPT_STRUCTURED_REPLY -> {
                    if (length != 0) {
                        reply(option, Nbd.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
                    } else {
                        structuredReplies = true;
                        reply(option, Nbd.REP_ACK, null);
                    }
                }
                default -> reply(option, Nbd.REP_ERR_UNSUP, "option " + option + " is not supported");
            }
        }
    }

    /** Answers NBD_OPT_INFO / NBD_OPT_GO; returns the export if the answer was a success. */
    private Optional<NbdExport> info(int option, byte[] data) throws IOException {
        // Data: u32 name length, name, u16 number of info requests, u16 each.
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(data);
        if (buf.remaining() < 4) {
            reply(option, Nbd.REP_ERR_INVALID, "option data too short");
            return Optional.empty();
        }
        long nameLength = buf.getInt() & 0xffffffffL;
        if (nameLength > buf.remaining() - 2) {
            reply(option, Nbd.REP_ERR_INVALID, "export name length does not fit the option");
            return Optional.empty();
        }
        byte[] nameBytes = new byte[(int) nameLength];
        buf.get(nameBytes);
        int requests = buf.getShort() & 0xffff;
        if (buf.remaining() != requests * 2) {
            reply(option, Nbd.REP_ERR_INVALID, "information request count does not match the option length");
            return Optional.empty();
        }
        boolean wantsName = false;
        boolean wantsDescription = false;
        for (int i = 0; i < requests; i++) {
            int type = buf.getShort() & 0xffff;
            wantsName |= type == Nbd.INFO_NAME;
            wantsDescription |= type == Nbd.INFO_DESCRIPTION;
        }

        String name = new String(nameBytes, StandardCharsets.UTF_8);
        Optional<NbdExport> found = catalog.find(name);
        if (found.isEmpty()) {
            reply(option, Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return Optional.empty();
        }
        NbdExport export = found.get();

        replyHeader(option, Nbd.REP_INFO, 12);
        out.writeShort(Nbd.INFO_EXPORT);
        out.writeLong(export.size());
        out.writeShort(transmissionFlags(export));

        // Any alignment works (min 1); the image's block size is what we prefer.
        replyHeader(option, Nbd.REP_INFO, 14);
        out.writeShort(Nbd.INFO_BLOCK_SIZE);
        out.writeInt(1);
        out.writeInt(Math.min(export.blockSize(), settings.maxRequestBytes()));
        out.writeInt(settings.maxRequestBytes());

        if (wantsName) {
            replyHeader(option, Nbd.REP_INFO, 2 + nameBytes.length);
            out.writeShort(Nbd.INFO_NAME);
            out.write(nameBytes);
        }
        if (wantsDescription) {
            byte[] description = export.description().getBytes(StandardCharsets.UTF_8);
            replyHeader(option, Nbd.REP_INFO, 2 + description.length);
            out.writeShort(Nbd.INFO_DESCRIPTION);
            out.write(description);
        }
        reply(option, Nbd.REP_ACK, null);
        return found;
    }

    /** Only the flags that are true for this export. */
    int transmissionFlags(NbdExport export) {
        // Every connection reads and writes the same file and the same cluster layer, and a flush
        // forces that shared file: what one connection flushed, all see.
        int flags = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_CAN_MULTI_CONN;
        if (structuredReplies) {
            flags |= Nbd.FLAG_SEND_DF; // a read is always answered in one data chunk
        }
        if (export.writable()) {
            flags |= Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES;
        } else {
            flags |= Nbd.FLAG_READ_ONLY;
        }
        return flags;
    }

    private void replyHeader(int option, int type, int length) throws IOException {
        out.writeLong(Nbd.OPTION_REPLY_MAGIC);
        out.writeInt(option);
        out.writeInt(type);
        out.writeInt(length);
    }

    /** A reply with an optional message (error replies carry one for the user). */
    private void reply(int option, int type, String message) throws IOException {
        byte[] data = message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
        replyHeader(option, type, data.length);
        out.write(data);
        out.flush();
    }

    /** The client broke a MUST of the protocol: the connection is dropped. */
    static final class ProtocolViolation extends IOException {
        ProtocolViolation(String message) {
            super(message);
        }
    }
}
