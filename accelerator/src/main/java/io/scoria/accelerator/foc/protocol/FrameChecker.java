package io.scoria.accelerator.foc.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.scoria.accelerator.foc.FocProtocolException;

import java.util.zip.CRC32C;

/**
 * Verifies each frame's CRC32C (after {@link FocProtocol#frameDecoder()}) and passes on the
 * frame without its CRC: opcode, request id, payload. A bad frame raises
 * {@link FocProtocolException}; the next handler closes the connection. Not sharable (one per channel).
 */
public final class FrameChecker extends ChannelInboundHandlerAdapter {
    private final CRC32C crc = new CRC32C();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        int len = frame.readableBytes();
        if (len < FocProtocol.HEADER_BYTES + FocProtocol.CRC_BYTES) {
            frame.release();
            throw new FocProtocolException("frame of " + len + " bytes is shorter than header + CRC");
        }
        crc.reset();
        int bodyEnd = frame.writerIndex() - FocProtocol.CRC_BYTES;
        FocProtocol.update(crc, frame, frame.readerIndex(), bodyEnd - frame.readerIndex());
        int expected = frame.getInt(bodyEnd);
        if ((int) crc.getValue() != expected) {
            byte op = frame.getByte(frame.readerIndex());
            frame.release();
            throw new FocProtocolException("CRC32C mismatch in a " + FocProtocol.opcodeName(op) + " frame of " + len
                    + " bytes");
        }
        frame.writerIndex(bodyEnd);
        ctx.fireChannelRead(frame);
    }
}
