package io.scoria.accelerator.foc.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.scoria.accelerator.foc.protocol.FocProtocol;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The reply to GET_ENTRIES: every entry of a volume in replay order, in ENTRIES frames of up to
 * {@link #ENTRIES_PER_REPLY} entries, then ENTRIES_END with the total. Back-pressure: while the
 * channel is not writable it waits (up to 30 s) for each frame to be written, so a volume of many
 * entries is streamed, not buffered whole.
 *
 * <p>Threads: runs on the volume's thread with the volume's lock held (it blocks that thread, not
 * the event loop). Buffers: each frame is allocated here and handed to the channel; the volume's
 * scratch buffer is only read during the visit.
 */
final class EntryStream {
    static final int ENTRIES_PER_REPLY = 256;

    private EntryStream() {
    }

    /** Streams the entries of {@code s}, read as owner {@code epoch}, to {@code ctx} as the reply to request {@code id}. */
    static void send(ChannelHandlerContext ctx, long id, VolumeStore s, long epoch) throws IOException {
        int eb = FocProtocol.entryBytes(s.clusterSize());
        ByteBuf[] chunk = new ByteBuf[1];
        int[] count = new int[1];
        long total;
        try {
            total = s.readAll(epoch, (buf, off) -> {
                if (chunk[0] == null) {
                    chunk[0] = FocProtocol.begin(ctx.alloc(), FocProtocol.ENTRIES, id, 4 + ENTRIES_PER_REPLY * eb);
                    chunk[0].writeInt(0);
                    count[0] = 0;
                }
                int lim = buf.limit();
                buf.limit(off + eb).position(off);
                chunk[0].writeBytes(buf);
                buf.limit(lim);
                if (++count[0] == ENTRIES_PER_REPLY) {
                    sendChunk(ctx, chunk[0], count[0]);
                    chunk[0] = null;
                }
            });
        } catch (IOException | RuntimeException e) {
            if (chunk[0] != null) {
                chunk[0].release();
            }
            throw e;
        }
        if (chunk[0] != null) {
            sendChunk(ctx, chunk[0], count[0]);
        }
        ByteBuf end = FocProtocol.begin(ctx.alloc(), FocProtocol.ENTRIES_END, id, 8);
        end.writeLong(total);
        ctx.writeAndFlush(FocProtocol.finish(end));
    }

    private static void sendChunk(ChannelHandlerContext ctx, ByteBuf chunk, int count) throws IOException {
        chunk.setInt(4 + FocProtocol.HEADER_BYTES, count);
        ChannelFuture written = ctx.writeAndFlush(FocProtocol.finish(chunk));
        if (!ctx.channel().isWritable() && !written.awaitUninterruptibly(30, TimeUnit.SECONDS)) {
            ctx.close();
            throw new IOException("GET_ENTRIES: the client did not read for 30 s");
        }
        if (!ctx.channel().isActive()) {
            throw new IOException("GET_ENTRIES: the connection closed");
        }
    }
}
