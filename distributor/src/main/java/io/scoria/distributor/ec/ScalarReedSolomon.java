package io.scoria.distributor.ec;

import java.nio.ByteBuffer;

/**
 * Portable Reed-Solomon: one lookup in a 64 KiB multiplication table per byte and
 * coefficient. Runs on any JVM; the reference the vector codec is tested against.
 * Immutable and thread-safe.
 */
public final class ScalarReedSolomon extends AbstractReedSolomon<byte[][]> {

    public ScalarReedSolomon(int dataFragments, int totalFragments) {
        super(dataFragments, totalFragments);
    }

    @Override
    public String implementation() {
        return "scalar";
    }

    @Override
    byte[][] prepare(byte[][] rows) {
        return rows;
    }

    @Override
    void apply(byte[][] rows, ByteBuffer[] in, ByteBuffer[] out, int length) {
        for (int r = 0; r < out.length; r++) {
            for (int j = 0; j < in.length; j++) {
                multiplyInto(rows[r][j] & 0xff, in[j], out[r], 0, length, j == 0);
            }
        }
    }

    /**
     * {@code out[from, to) (=|^=) c * in[from, to)}, offsets relative to each buffer's
     * position; shared with the vector codec for tails.
     */
    static void multiplyInto(int c, ByteBuffer in, ByteBuffer out, int from, int to, boolean assign) {
        byte[] row = Galois.MUL_ROWS[c];
        if (in.hasArray() && out.hasArray() && !out.isReadOnly()) {
            byte[] src = in.array();
            byte[] dst = out.array();
            int s = in.arrayOffset() + in.position();
            int d = out.arrayOffset() + out.position();
            if (assign) {
                for (int x = from; x < to; x++) {
                    dst[d + x] = row[src[s + x] & 0xff];
                }
            } else {
                for (int x = from; x < to; x++) {
                    dst[d + x] ^= row[src[s + x] & 0xff];
                }
            }
            return;
        }
        int s = in.position();
        int d = out.position();
        for (int x = from; x < to; x++) {
            byte v = row[in.get(s + x) & 0xff];
            out.put(d + x, assign ? v : (byte) (out.get(d + x) ^ v));
        }
    }
}
