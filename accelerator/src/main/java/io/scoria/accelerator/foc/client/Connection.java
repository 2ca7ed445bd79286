package io.scoria.accelerator.foc.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocProtocolException;
import io.scoria.accelerator.foc.protocol.FocProtocol;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One TCP connection of a {@link FocClient} and its requests awaiting a reply. Replies are
 * matched by request id and handed to the client; a reply that matches nothing, or a bad frame,
 * closes the connection.
 */
final class Connection extends ChannelInboundHandlerAdapter {
    private final FocClient client;
    final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    volatile Channel channel;
    /** Set once REGISTER succeeded. */
    volatile boolean registered;
    volatile String closeReason;

    Connection(FocClient client) {
        this.client = client;
    }

    long nextRequestId() {
        return nextId.incrementAndGet();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf f = (ByteBuf) msg;
        try {
            byte op = f.readByte();
            long id = f.readLong();
            Pending p = op == FocProtocol.ENTRIES ? pending.get(id) : pending.remove(id);
            if (p == null) {
                throw new FocProtocolException("reply " + FocProtocol.opcodeName(op) + " to unknown request " + id);
            }
            client.onReply(this, p, op, f);
        } finally {
            f.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        client.onConnectionLost(this, closeReason != null ? closeReason : "connection closed by the FOC server");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        close(cause instanceof FocException ? cause.getMessage() : cause.toString());
    }

    /** Closes the connection; {@code reason} is logged and given to failed requests. */
    void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        Channel ch = channel;
        if (ch != null) {
            ch.close();
        }
    }
}
