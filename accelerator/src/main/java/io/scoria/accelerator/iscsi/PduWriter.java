package io.scoria.accelerator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

/**
 * Encodes and sends the target's PDUs on one connection: header (with its digest), the data
 * segment as given (no copy), padding and data digest. Headers are built with the static helpers
 * into a 48-byte array.
 *
 * <p>Threads: the connection's event loop only. Buffers: {@link #send} takes ownership of
 * {@code data}.
 */
final class PduWriter {
    private static final byte[] ZEROS = new byte[4];

    private final Channel channel;
    private boolean headerDigest;
    private boolean dataDigest;

    PduWriter(Channel channel) {
        this.channel = channel;
    }

    void digests(boolean header, boolean data) {
        headerDigest = header;
        dataDigest = data;
    }

    /** A header with the opcode and byte 1 set, everything else zero. */
    static byte[] header(int opcode, int flags) {
        byte[] b = new byte[Pdu.BHS];
        b[0] = (byte) opcode;
        b[1] = (byte) flags;
        return b;
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }

    /** Writes one PDU (not flushed); {@code data} may be null. Takes ownership of {@code data}. */
    void write(byte[] bhs, ByteBuf data) {
        int length = data == null ? 0 : data.readableBytes();
        bhs[4] = 0;
        bhs[5] = (byte) (length >>> 16);
        bhs[6] = (byte) (length >>> 8);
        bhs[7] = (byte) length;
        ByteBuf head = channel.alloc().buffer(Pdu.BHS + 4);
        head.writeBytes(bhs);
        if (headerDigest) {
            head.writeIntLE(Crc32c.of(head, 0, Pdu.BHS));
        }
        channel.write(head, channel.voidPromise());
        if (length == 0) {
            if (data != null) {
                data.release();
            }
            return;
        }
        int pad = (4 - (length & 3)) & 3;
        int digest = dataDigest ? crc(data, pad) : 0;
        channel.write(data, channel.voidPromise());
        if (pad > 0 || dataDigest) {
            ByteBuf tail = channel.alloc().buffer(8);
            tail.writeBytes(ZEROS, 0, pad);
            if (dataDigest) {
                tail.writeIntLE(digest);
            }
            channel.write(tail, channel.voidPromise());
        }
    }

    private static int crc(ByteBuf data, int pad) {
        if (pad == 0) {
            return Crc32c.of(data, data.readerIndex(), data.readableBytes());
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        for (java.nio.ByteBuffer b : data.nioBuffers()) {
            crc.update(b);
        }
        crc.update(ZEROS, 0, pad);
        return (int) crc.getValue();
    }

    void flush() {
        channel.flush();
    }

    /** Writes and flushes one PDU. */
    void send(byte[] bhs, ByteBuf data) {
        write(bhs, data);
        channel.flush();
    }

    /** Wraps bytes as a data segment. */
    static ByteBuf wrap(byte[] bytes) {
        return bytes.length == 0 ? null : Unpooled.wrappedBuffer(bytes);
    }
}
