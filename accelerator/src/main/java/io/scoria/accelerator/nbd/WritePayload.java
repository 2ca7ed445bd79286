package io.scoria.accelerator.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.ByteBuffer;

/**
 * The payload of one NBD WRITE, copied out of the socket buffers in pieces of at most
 * {@link #PIECE} bytes, each allocated when its first byte arrives: memory follows the bytes
 * received, not the length the header announced. A payload of one piece (every write up to 1 MiB)
 * is one direct buffer, handed to the volume as one NIO view without another copy.
 *
 * <p>Ownership: the transmission handler owns it while receiving, then the request that applies it;
 * {@link #release} frees every piece and is idempotent. Not thread-safe (one owner at a time).
 */
final class WritePayload {
    /** Largest piece; a multiple of every cluster size, so pieces of an aligned write stay aligned. */
    static final int PIECE = 1 << 20;

    private final ByteBuf[] pieces;
    private final int length;
    private int received;

    WritePayload(int length) {
        this.length = length;
        this.pieces = new ByteBuf[(length + PIECE - 1) / PIECE];
    }

    /** Copies what {@code in} holds of this payload; true once it is complete. */
    boolean receive(ByteBuf in, ByteBufAllocator alloc) {
        while (received < length && in.isReadable()) {
            int index = received / PIECE;
            ByteBuf piece = pieces[index];
            if (piece == null) {
                piece = alloc.directBuffer(Math.min(PIECE, length - index * PIECE));
                pieces[index] = piece;
            }
            int n = Math.min(in.readableBytes(), piece.writableBytes());
            piece.writeBytes(in, n);
            received += n;
        }
        return received == length;
    }

    int length() {
        return length;
    }

    int pieces() {
        return pieces.length;
    }

    /** Piece {@code i} as an NIO view (valid until {@link #release}); it starts at byte {@code i * PIECE}. */
    ByteBuffer piece(int i) {
        return pieces[i].nioBuffer();
    }

    void release() {
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] != null) {
                pieces[i].release();
                pieces[i] = null;
            }
        }
    }
}
