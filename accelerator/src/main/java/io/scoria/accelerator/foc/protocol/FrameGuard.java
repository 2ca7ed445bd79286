package io.scoria.accelerator.foc.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.scoria.accelerator.foc.FocAuthenticationException;
import io.scoria.accelerator.foc.FocProtocolException;

import javax.crypto.Mac;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.zip.CRC32C;

/**
 * Checks the trailer of every frame read and seals every frame written. Until {@link #keyed} the
 * trailer is a CRC32C of {@code opcode..payload} (4 bytes); from then on, in both directions, it is
 * {@code HMAC-SHA256(session key, direction | u64 sequence | opcode..payload)} (32 bytes), where
 * the direction is {@code 'C'} (client to server) or {@code 'S'} and the sequence counts the keyed
 * frames of that direction from 0. A frame that fails its check raises
 * {@link FocProtocolException} (CRC) or {@link FocAuthenticationException} (MAC); the next handler
 * closes the connection. Inbound frames go on without their trailer: opcode, request id, payload.
 *
 * <p>Outbound: a frame is a buffer from {@link FocProtocol#begin} (a length placeholder, opcode,
 * request id, payload); this handler fills in the length and appends the trailer, in the order the
 * frames reach the event loop, which is the order on the wire. One exception passes unkeyed: an
 * AUTH_FAILED frame with a valid CRC is let through after a MAC mismatch, so a peer learns why it
 * was refused (it can only end the connection).
 *
 * <p>Threads: the connection's event loop only (Netty calls it there; {@link #keyed} must be called
 * there too). Not sharable. Buffers: an inbound frame is released here if it fails; an outbound
 * frame is owned by the channel once written.
 */
public final class FrameGuard extends ChannelDuplexHandler {
    private static final byte CLIENT = 'C';
    private static final byte SERVER = 'S';

    private final boolean clientSide;
    private final byte sendDirection;
    private final byte receiveDirection;
    private final CRC32C crc = new CRC32C();
    private final byte[] prefix = new byte[9];
    private Mac sendMac;
    private Mac receiveMac;
    private long sendSeq;
    private long receiveSeq;

    /** @param clientSide true on the client's end of the connection */
    public FrameGuard(boolean clientSide) {
        this.clientSide = clientSide;
        this.sendDirection = clientSide ? CLIENT : SERVER;
        this.receiveDirection = clientSide ? SERVER : CLIENT;
    }

    /** From now on every frame written and read carries a MAC under {@code key}; on the event loop. */
    public void keyed(SessionKey key) {
        sendMac = key.newMac();
        receiveMac = key.newMac();
    }

    public boolean isKeyed() {
        return sendMac != null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        int len = frame.readableBytes();
        if (len < FocProtocol.HEADER_BYTES + FocProtocol.CRC_BYTES) {
            frame.release();
            throw new FocProtocolException("frame of " + len + " bytes is shorter than header + trailer");
        }
        byte op = frame.getByte(frame.readerIndex());
        if (receiveMac != null) {
            if (len >= FocProtocol.HEADER_BYTES + SessionKey.MAC_BYTES && macMatches(frame)) {
                frame.writerIndex(frame.writerIndex() - SessionKey.MAC_BYTES);
                ctx.fireChannelRead(frame);
                return;
            }
            if (op != FocProtocol.AUTH_FAILED || !crcMatches(frame)) {
                frame.release();
                String why = "a " + FocProtocol.opcodeName(op) + " frame of " + len + " bytes fails its HMAC: the"
                        + " peer's shared secret differs, or the frame was tampered with, replayed or reordered";
                if (!clientSide) {
                    refuse(ctx, "FOC authentication failed: " + why);
                }
                throw new FocAuthenticationException(why);
            }
        } else if (!crcMatches(frame)) {
            frame.release();
            throw new FocProtocolException("CRC32C mismatch in a " + FocProtocol.opcodeName(op) + " frame of " + len
                    + " bytes");
        }
        frame.writerIndex(frame.writerIndex() - FocProtocol.CRC_BYTES);
        ctx.fireChannelRead(frame);
    }

    private boolean crcMatches(ByteBuf frame) {
        int end = frame.writerIndex() - FocProtocol.CRC_BYTES;
        crc.reset();
        FocProtocol.update(crc, frame, frame.readerIndex(), end - frame.readerIndex());
        return (int) crc.getValue() == frame.getInt(end);
    }

    private boolean macMatches(ByteBuf frame) {
        int end = frame.writerIndex() - SessionKey.MAC_BYTES;
        byte[] mac = mac(receiveMac, receiveDirection, receiveSeq, frame, frame.readerIndex(), end);
        byte[] got = new byte[SessionKey.MAC_BYTES];
        frame.getBytes(end, got);
        if (!MessageDigest.isEqual(mac, got)) {
            return false;
        }
        receiveSeq++;
        return true;
    }

    private byte[] mac(Mac m, byte direction, long seq, ByteBuf frame, int from, int to) {
        prefix[0] = direction;
        for (int i = 0; i < 8; i++) {
            prefix[1 + i] = (byte) (seq >>> (56 - 8 * i));
        }
        m.update(prefix);
        if (to > from) {
            if (frame.nioBufferCount() == 1) {
                m.update(frame.nioBuffer(from, to - from));
            } else {
                for (ByteBuffer bb : frame.nioBuffers(from, to - from)) {
                    m.update(bb);
                }
            }
        }
        return m.doFinal();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf frame)) {
            ctx.write(msg, promise);
            return;
        }
        int from = frame.readerIndex() + 4;
        int to = frame.writerIndex();
        byte[] mac = null;
        int crcValue = 0;
        if (sendMac != null) {
            mac = mac(sendMac, sendDirection, sendSeq++, frame, from, to);
        } else {
            crc.reset();
            FocProtocol.update(crc, frame, from, to - from);
            crcValue = (int) crc.getValue();
        }
        int trailerBytes = mac != null ? mac.length : FocProtocol.CRC_BYTES;
        frame.setInt(frame.readerIndex(), to - from + trailerBytes);
        if (!(frame instanceof CompositeByteBuf) && frame.maxWritableBytes() >= trailerBytes) {
            ctx.write(mac != null ? frame.writeBytes(mac) : frame.writeInt(crcValue), promise); // small frames: in place
            return;
        }
        ByteBuf trailer = ctx.alloc().buffer(trailerBytes);
        if (mac != null) {
            trailer.writeBytes(mac);
        } else {
            trailer.writeInt(crcValue);
        }
        CompositeByteBuf out = ctx.alloc().compositeBuffer(2);
        out.addComponents(true, frame, trailer);
        ctx.write(out, promise);
    }

    /**
     * Writes, past this handler, an AUTH_FAILED frame with a CRC trailer (never a MAC) and closes
     * the connection; on the event loop.
     */
    private static void refuse(ChannelHandlerContext ctx, String message) {
        ByteBuf f = FocProtocol.begin(ctx.alloc(), FocProtocol.AUTH_FAILED, 0, 2 + message.length() * 3);
        FocProtocol.writeString(f, message);
        CRC32C c = new CRC32C();
        FocProtocol.update(c, f, 4, f.writerIndex() - 4);
        f.writeInt((int) c.getValue());
        f.setInt(0, f.writerIndex() - 4);
        ctx.writeAndFlush(f).addListener(x -> ctx.close());
    }
}
