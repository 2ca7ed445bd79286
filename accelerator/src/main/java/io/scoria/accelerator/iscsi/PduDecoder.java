package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Cuts the byte stream of one connection into {@link Pdu}s: 48-byte header, additional header
 * segments, optional header digest, data segment padded to 4 bytes, optional data digest (RFC
 * 7143 section 11.1, digests CRC32C as in section 13.1). A data segment longer than this side's
 * {@code MaxRecvDataSegmentLength}, an AHS longer than 1 KiB or a wrong digest is a
 * {@link PduException}: the connection is closed (error recovery level 0). Nothing is buffered
 * beyond one PDU of at most those sizes.
 *
 * <p>Threads: the connection's event loop; the limits and digests change (between PDUs) when the
 * login phase ends.
 */
final class PduDecoder extends ByteToMessageDecoder {
    static final int MAX_AHS = 1024;

    private int maxDataSegment;
    private boolean headerDigest;
    private boolean dataDigest;

    PduDecoder(int maxDataSegment) {
        this.maxDataSegment = maxDataSegment;
    }

    /** What the full feature phase negotiated; applies from the next PDU on. */
    void negotiated(int maxRecvDataSegment, boolean header, boolean data) {
        this.maxDataSegment = maxRecvDataSegment;
        this.headerDigest = header;
        this.dataDigest = data;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= Pdu.BHS) {
            int start = in.readerIndex();
            int ahsLength = (in.getUnsignedByte(start + 4)) * 4;
            int dataLength = in.getUnsignedMedium(start + 5);
            if (ahsLength > MAX_AHS) {
                throw new PduException("AHS of " + ahsLength + " bytes");
            }
            if (dataLength > maxDataSegment) {
                throw new PduException("data segment of " + dataLength + " bytes exceeds MaxRecvDataSegmentLength "
                        + maxDataSegment);
            }
            int headerEnd = Pdu.BHS + ahsLength + (headerDigest ? 4 : 0);
            int padded = (dataLength + 3) & ~3;
            int total = headerEnd + padded + (dataDigest && dataLength > 0 ? 4 : 0);
            if (in.readableBytes() < total) {
                return;
            }
            if (headerDigest) {
                int expected = Crc32c.of(in, start, Pdu.BHS + ahsLength);
                if (expected != in.getIntLE(start + Pdu.BHS + ahsLength)) {
                    throw new PduException("header digest mismatch");
                }
            }
            if (dataDigest && dataLength > 0) {
                int expected = Crc32c.of(in, start + headerEnd, padded);
                if (expected != in.getIntLE(start + headerEnd + padded)) {
                    throw new PduException("data digest mismatch");
                }
            }
            byte[] bhs = new byte[Pdu.BHS];
            in.readBytes(bhs);
            byte[] ahs = new byte[ahsLength];
            in.readBytes(ahs);
            in.skipBytes(headerEnd - Pdu.BHS - ahsLength);
            ByteBuf data = dataLength == 0 ? Unpooled.EMPTY_BUFFER : in.readRetainedSlice(dataLength);
            in.skipBytes(total - headerEnd - dataLength);
            out.add(new Pdu(bhs, ahs, data));
        }
    }
}
