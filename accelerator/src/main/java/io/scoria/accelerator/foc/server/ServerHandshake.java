package io.scoria.accelerator.foc.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.scoria.accelerator.foc.FocEntryFormat;
import io.scoria.accelerator.foc.FocProtocolException;
import io.scoria.accelerator.foc.FocSecret;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import io.scoria.accelerator.foc.protocol.FrameGuard;
import io.scoria.accelerator.foc.protocol.SessionKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of the FOC handshake ({@link FocProtocol}): the first frame must be HELLO;
 * the server answers WELCOME with its nonce and, if it has a secret, its proof, keys the
 * connection's {@link FrameGuard} (every later frame must carry a valid HMAC) and steps out of
 * the pipeline. Versions 2 (clear entries) and 3 (sealed entries, {@link FocEntryFormat}) are
 * spoken; WELCOME answers in the client's. A client without a secret when the server has one gets
 * AUTH_FAILED; a version 1 client (REGISTER first) or another version gets an ERROR naming the versions; either way the
 * connection closes before any request reaches a volume.
 *
 * <p>Threads: the connection's event loop. One per connection. Buffers: releases the frame it reads.
 */
final class ServerHandshake extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ServerHandshake.class);

    private final FrameGuard guard;
    private final FocSecret secret;

    ServerHandshake(FrameGuard guard, FocSecret secret) {
        this.guard = guard;
        this.secret = secret;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf f = (ByteBuf) msg;
        try {
            byte op = f.readByte();
            long id = f.readLong();
            if (op == FocProtocol.REGISTER) {
                refuse(ctx, FocProtocol.ERROR, id, "unsupported FOC protocol version 1 (REGISTER without HELLO), this"
                        + " server speaks " + FocProtocol.SPOKEN);
                return;
            }
            if (op != FocProtocol.HELLO) {
                throw new FocProtocolException(FocProtocol.opcodeName(op) + " before HELLO");
            }
            FocProtocol.need(f, 4 + 2 + 1 + SessionKey.NONCE_BYTES, "HELLO");
            int magic = f.readInt();
            short version = f.readShort();
            if (magic != FocProtocol.MAGIC) {
                throw new FocProtocolException("HELLO with bad magic 0x" + Integer.toHexString(magic));
            }
            if (FocEntryFormat.ofProtocolVersion(version) == null) {
                refuse(ctx, FocProtocol.ERROR, id, "unsupported FOC protocol version " + version + ", this server speaks "
                        + FocProtocol.SPOKEN);
                return;
            }
            boolean clientHasSecret = (f.readByte() & FocProtocol.FLAG_SECRET) != 0;
            byte[] clientNonce = new byte[SessionKey.NONCE_BYTES];
            f.readBytes(clientNonce);
            if (secret != null && !clientHasSecret) {
                refuse(ctx, FocProtocol.AUTH_FAILED, 0, "this FOC server requires the cluster's shared secret and the"
                        + " client has none configured");
                return;
            }
            welcome(ctx, id, version, clientNonce);
        } finally {
            f.release();
        }
    }

    /** Answers in the client's {@code version} (2: clear entries, 3: sealed ones; the frames are the same). */
    private void welcome(ChannelHandlerContext ctx, long id, short version, byte[] clientNonce) {
        byte[] serverNonce = SessionKey.newNonce();
        SessionKey key = secret == null ? null : SessionKey.derive(secret, clientNonce, serverNonce);
        ByteBuf w = FocProtocol.begin(ctx.alloc(), FocProtocol.WELCOME, id, 64);
        w.writeInt(FocProtocol.MAGIC).writeShort(version)
                .writeByte(secret != null ? FocProtocol.FLAG_SECRET : 0).writeBytes(serverNonce);
        if (key != null) {
            w.writeBytes(key.serverProof());
        } else {
            w.writeZero(SessionKey.MAC_BYTES);
        }
        ctx.writeAndFlush(FocProtocol.finish(w)); // sealed (CRC) by the guard now, on this event loop
        if (key != null) {
            guard.keyed(key);
        }
        ctx.pipeline().remove(this);
    }

    private static void refuse(ChannelHandlerContext ctx, byte op, long id, String message) {
        LOG.warn("refusing FOC connection from {}: {}", ctx.channel().remoteAddress(), message);
        ByteBuf r = FocProtocol.begin(ctx.alloc(), op, id, 2 + message.length() * 3);
        FocProtocol.writeString(r, message);
        ctx.writeAndFlush(FocProtocol.finish(r)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("closing FOC connection from {} during the handshake: {}", ctx.channel().remoteAddress(),
                cause.getMessage() != null ? cause.getMessage() : cause.toString());
        ctx.close();
    }
}
