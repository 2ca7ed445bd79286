package io.scoria.accelerator.foc.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.protocol.FocProtocol;

/**
 * The server's reply frames (OK, FENCED, ERROR). Each is written and flushed on {@code ctx}; Netty
 * queues writes from other threads in call order. Stateless and thread-safe; the frames are
 * owned by the channel once written.
 */
final class Replies {
    private Replies() {
    }

    static void ok(ChannelHandlerContext ctx, long id) {
        ctx.writeAndFlush(FocProtocol.finish(FocProtocol.begin(ctx.alloc(), FocProtocol.OK, id, 0)));
    }

    /** OK of ADD_ENTRIES: the count of entries stored. */
    static void added(ChannelHandlerContext ctx, long id, int count) {
        ByteBuf r = FocProtocol.begin(ctx.alloc(), FocProtocol.OK, id, 4);
        r.writeInt(count);
        ctx.writeAndFlush(FocProtocol.finish(r));
    }

    /** OK of REGISTER: magic, the REGISTER's version and the owner epoch in force. */
    static void registered(ChannelHandlerContext ctx, long id, short version, long epoch) {
        ByteBuf r = FocProtocol.begin(ctx.alloc(), FocProtocol.OK, id, 14);
        r.writeInt(FocProtocol.MAGIC).writeShort(version).writeLong(epoch);
        ctx.writeAndFlush(FocProtocol.finish(r));
    }

    static void fenced(ChannelHandlerContext ctx, long id, FocFencedException e) {
        ByteBuf r = FocProtocol.begin(ctx.alloc(), FocProtocol.FENCED, id, 8);
        r.writeLong(e.currentEpoch());
        ctx.writeAndFlush(FocProtocol.finish(r));
    }

    static void error(ChannelHandlerContext ctx, long id, String message) {
        ByteBuf r = FocProtocol.begin(ctx.alloc(), FocProtocol.ERROR, id, 2 + message.length() * 3);
        FocProtocol.writeString(r, message);
        ctx.writeAndFlush(FocProtocol.finish(r));
    }
}
