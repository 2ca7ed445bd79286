package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.scoria.accelerator.ReadOnlyVolumeException;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongConsumer;

import static io.scoria.accelerator.nbd.NbdProtocol.*;

/**
 * Encodes the replies of one NBD connection and writes them on its event loop, flushed once per
 * batch: a flush task queued behind the first unflushed reply covers every reply written before it
 * runs. Replies may be produced on any thread.
 *
 * <p>Buffers: every method takes ownership of the buffer it is given; a READ reply's data counts
 * against the connection's request data until the kernel took it (see {@link #sendData}).
 */
final class NbdReplies {
    /** Longest error message sent in a structured error reply. */
    private static final int MAX_MESSAGE = 1024;

    private final Channel channel;
    private final boolean structured;
    private boolean flushQueued; // event loop only
    private final Runnable flushTask = () -> {
        flushQueued = false;
        flush();
    };

    NbdReplies(Channel channel, boolean structured) {
        this.channel = channel;
        this.structured = structured;
    }

    /** Bytes a READ reply carries before its data. */
    int dataHeaderLength() {
        return structured ? 28 : 16;
    }

    /** Writes the header of a READ reply for {@code length} bytes at {@code offset} into {@code buf}. */
    void writeDataHeader(ByteBuf buf, long cookie, long offset, int length) {
        if (structured) {
            buf.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_OFFSET_DATA)
                    .writeLong(cookie).writeInt(8 + length).writeLong(offset);
        } else {
            buf.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(cookie);
        }
    }

    /** Appends a successful simple reply to {@code batch} (used to gather replies into one buffer). */
    static void writeOk(ByteBuf batch, long cookie) {
        batch.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(cookie);
    }

    /** Sends a successful simple reply. */
    void ok(long cookie) {
        ByteBuf b = channel.alloc().buffer(16);
        writeOk(b, cookie);
        send(b);
    }

    /**
     * Sends a READ reply; {@code written} gets {@code bytes} once the reply left for the kernel or the
     * connection failed (so the data's budget returns either way).
     */
    void sendData(ByteBuf reply, long bytes, LongConsumer written) {
        ChannelFutureListener done = f -> written.accept(bytes);
        if (channel.eventLoop().inEventLoop()) {
            writeInLoop(reply, done);
            return;
        }
        try {
            channel.eventLoop().execute(() -> writeInLoop(reply, done));
        } catch (RejectedExecutionException e) { // server shutting down: the connection is gone
            reply.release();
            written.accept(bytes);
        }
    }

    /** Sends an error reply ({@code err} an NBD errno value); {@code message} only goes into structured replies. */
    void error(long cookie, int command, int err, String message) {
        ByteBuf b;
        if (structured && (command == CMD_READ || command == CMD_BLOCK_STATUS)) {
            byte[] m = message.getBytes(StandardCharsets.UTF_8);
            int ml = Math.min(m.length, MAX_MESSAGE);
            b = channel.alloc().buffer(20 + 6 + ml);
            b.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_ERROR)
                    .writeLong(cookie).writeInt(6 + ml).writeInt(err).writeShort(ml).writeBytes(m, 0, ml);
        } else {
            b = channel.alloc().buffer(16);
            b.writeInt(SIMPLE_REPLY_MAGIC).writeInt(err).writeLong(cookie);
        }
        send(b);
    }

    /** Queues {@code reply} (taking ownership) for the event loop. */
    void send(ByteBuf reply) {
        if (channel.eventLoop().inEventLoop()) {
            writeInLoop(reply, null);
            return;
        }
        try {
            channel.eventLoop().execute(() -> writeInLoop(reply, null));
        } catch (RejectedExecutionException e) { // server shutting down: the connection is gone
            reply.release();
        }
    }

    private void writeInLoop(ByteBuf reply, ChannelFutureListener done) {
        if (done == null) {
            channel.write(reply, channel.voidPromise());
        } else {
            channel.write(reply).addListener(done);
        }
        if (!flushQueued) {
            flushQueued = true;
            channel.eventLoop().execute(flushTask);
        }
    }

    private void flush() {
        channel.flush();
    }

    /** The NBD errno for a failed volume call. */
    static int errno(Throwable e) {
        if (e instanceof ReadOnlyVolumeException) {
            return EPERM;
        }
        if (e instanceof IllegalArgumentException) {
            return EINVAL;
        }
        if (e instanceof io.scoria.accelerator.VolumeFencedException) {
            return ESHUTDOWN; // this node no longer serves the volume (handover, lost lease): reconnect to its owner
        }
        return isNoSpace(e) ? ENOSPC : EIO;
    }

    /** True if {@code e} or a cause is the operating system's "no space left on device" (ENOSPC). */
    static boolean isNoSpace(Throwable e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            String m = x.getMessage();
            if (m != null && m.contains("No space left on device")) {
                return true;
            }
            if (x.getCause() == x) {
                break;
            }
        }
        return false;
    }

    static String commandName(int t) {
        return switch (t) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            case CMD_CACHE -> "CACHE";
            case CMD_BLOCK_STATUS -> "BLOCK_STATUS";
            case CMD_DISC -> "DISC";
            default -> "command " + t;
        };
    }

    /** The {@link io.scoria.accelerator.metrics.NbdMetrics} operation a command counts as. */
    static int meterOf(int type) {
        return switch (type) {
            case CMD_READ -> io.scoria.accelerator.metrics.NbdMetrics.READ;
            case CMD_WRITE -> io.scoria.accelerator.metrics.NbdMetrics.WRITE;
            case CMD_TRIM -> io.scoria.accelerator.metrics.NbdMetrics.TRIM;
            case CMD_WRITE_ZEROES -> io.scoria.accelerator.metrics.NbdMetrics.WRITE_ZEROES;
            default -> io.scoria.accelerator.metrics.NbdMetrics.FLUSH;
        };
    }

    /** What a client is told of a failed volume call with errno {@code err}: never the server's internals. */
    static String clientMessage(int err, Throwable e) {
        return switch (err) {
            case EPERM -> "the volume is read-only";
            case EINVAL -> "invalid request: " + e.getMessage();
            case ENOSPC -> "no space left on the server's flash";
            case ESHUTDOWN -> e.getMessage();
            default -> "I/O error on the server; see its log";
        };
    }
}
