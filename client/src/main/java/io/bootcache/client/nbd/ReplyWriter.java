package io.bootcache.client.nbd;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.logging.Logger;

/**
 * Writes one connection's replies in the order they complete, one at a time, on its own
 * thread (completions may arrive on gRPC event loops, which must never block on a socket).
 * Replies queued together go out in one flush.
 */
final class ReplyWriter implements Runnable {
    private static final Logger LOG = Logger.getLogger(ReplyWriter.class.getName());

    /**
     * A reply; {@code data} is sent only when error is 0. A structured reply (a read on a connection that
     * negotiated them) is one chunk: the data at {@code offset}, or an error. {@code permits} go back to
     * the in-flight budget once it is written.
     */
    record Reply(long handle, int error, ByteBuffer data, int permits, boolean structured, long offset) {
        static Reply simple(long handle, int error, int permits) {
            return new Reply(handle, error, null, permits, false, 0);
        }
    }

    private static final Reply END = Reply.simple(0, 0, 0);

    private final OutputStream out;
    private final Semaphore inFlight;
    private final Runnable onFailure;
    private final BlockingQueue<Reply> queue = new LinkedBlockingQueue<>();
    private final byte[] header = new byte[Nbd.STRUCTURED_REPLY_HEADER_BYTES + 8];
    private final byte[] copyBuffer = new byte[64 * 1024];
    private volatile boolean failed;

    ReplyWriter(OutputStream out, Semaphore inFlight, Runnable onFailure) {
        this.out = out;
        this.inFlight = inFlight;
        this.onFailure = onFailure;
    }

    void send(Reply reply) {
        queue.add(reply);
    }

    /** Writes what is queued, then stops. */
    void finish() {
        queue.add(END);
    }

    @Override
    public void run() {
        while (true) {
            Reply reply;
            try {
                reply = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (reply == END) {
                flush();
                return;
            }
            try {
                if (!failed) {
                    write(reply);
                    if (queue.isEmpty()) {
                        out.flush();
                    }
                }
            } catch (IOException e) {
                failed = true;
                LOG.fine("reply not delivered: " + e);
                onFailure.run();
            } finally {
                inFlight.release(reply.permits());
            }
        }
    }

    private void flush() {
        if (!failed) {
            try {
                out.flush();
            } catch (IOException e) {
                failed = true;
            }
        }
    }

    private void write(Reply reply) throws IOException {
        ByteBuffer h = ByteBuffer.wrap(header);
        boolean withData = reply.error() == 0 && reply.data() != null;
        if (!reply.structured()) {
            h.putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(reply.error()).putLong(reply.handle());
        } else if (withData) {
            h.putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) Nbd.REPLY_FLAG_DONE)
                    .putShort((short) Nbd.REPLY_TYPE_OFFSET_DATA).putLong(reply.handle())
                    .putInt(8 + reply.data().remaining()).putLong(reply.offset());
        } else {
            // An error chunk without a message: error (32 bits), message length (16 bits).
            h.putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) Nbd.REPLY_FLAG_DONE)
                    .putShort((short) Nbd.REPLY_TYPE_ERROR).putLong(reply.handle())
                    .putInt(6).putInt(reply.error() == 0 ? Nbd.EIO : reply.error()).putShort((short) 0);
        }
        out.write(header, 0, h.position());
        if (withData) {
            ByteBuffer data = reply.data();
            if (data.hasArray()) {
                out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
            } else {
                ByteBuffer d = data.duplicate();
                while (d.hasRemaining()) {
                    int n = Math.min(d.remaining(), copyBuffer.length);
                    d.get(copyBuffer, 0, n);
                    out.write(copyBuffer, 0, n);
                }
            }
        }
    }
}
