package io.scoria.distributor.ec;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reed-Solomon on {@code jdk.incubator.vector}: each product {@code c * b} is two 16-entry
 * table lookups, {@code low[c][b & 15] ^ high[c][b >>> 4]}, done for a whole vector of bytes
 * with {@code rearrange} (one {@code vpermb}/{@code vpshufb} each) on the widest species the
 * CPU offers. Needs {@code --add-modules=jdk.incubator.vector}. Immutable and thread-safe.
 */
public final class VectorReedSolomon extends AbstractReedSolomon<byte[]> {
    /** Must stay static final: the JIT only intrinsifies constant species. */
    static final VectorSpecies<Byte> SPECIES = ByteVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** Each table is one vector: the 16 products repeated, so lane-local shuffles work too. */
    private static final int TABLE = LANES;
    /** Output rows computed together in one pass over the inputs. */
    private static final int GROUP = 4;

    public VectorReedSolomon(int dataFragments, int totalFragments) {
        super(dataFragments, totalFragments);
    }

    /** Bits of the species in use. */
    public static int vectorBits() {
        return SPECIES.vectorBitSize();
    }

    @Override
    public String implementation() {
        return "vector(" + SPECIES.vectorBitSize() + " bits)";
    }

    /**
     * Layout: for row r and input j, at {@code ((r * k + j) * 2) * TABLE} the low-nibble table,
     * then the high-nibble table; the coefficients themselves follow at the end.
     */
    @Override
    byte[] prepare(byte[][] rows) {
        int k = rows[0].length;
        byte[] t = new byte[rows.length * k * 2 * TABLE + rows.length * k];
        int coefBase = rows.length * k * 2 * TABLE;
        for (int r = 0; r < rows.length; r++) {
            for (int j = 0; j < k; j++) {
                int c = rows[r][j] & 0xff;
                int base = (r * k + j) * 2 * TABLE;
                for (int lane = 0; lane < TABLE; lane++) {
                    int x = lane & 15;
                    t[base + lane] = (byte) Galois.multiply(c, x);
                    t[base + TABLE + lane] = (byte) Galois.multiply(c, x << 4);
                }
                t[coefBase + r * k + j] = (byte) c;
            }
        }
        return t;
    }

    @Override
    void apply(byte[] tables, ByteBuffer[] in, ByteBuffer[] out, int length) {
        int k = in.length;
        int bulk = length - length % LANES;
        boolean arrays = true;
        for (ByteBuffer b : in) {
            arrays &= b.hasArray();
        }
        for (ByteBuffer b : out) {
            arrays &= b.hasArray();
        }
        if (arrays && bulk > 0) {
            byte[][] src = new byte[k][];
            int[] off = new int[k];
            for (int j = 0; j < k; j++) {
                src[j] = in[j].array();
                off[j] = in[j].arrayOffset() + in[j].position();
            }
            for (int r = 0; r < out.length; r += GROUP) {
                int g = Math.min(GROUP, out.length - r);
                groupArrays(tables, r, g, src, off, out, bulk);
            }
        }
        for (int r = 0; r < out.length; r++) {
            if (!arrays) {
                rowBuffers(tables, r * k * 2 * TABLE, in, out[r], bulk);
            }
            if (bulk < length) {
                int coefBase = out.length * k * 2 * TABLE + r * k;
                for (int j = 0; j < k; j++) {
                    ScalarReedSolomon.multiplyInto(tables[coefBase + j] & 0xff, in[j], out[r], bulk, length, j == 0);
                }
            }
        }
    }

    /**
     * Computes up to {@link #GROUP} output rows in one pass, so each input vector is loaded and
     * split into nibble shuffles once for all of them, and every output is written once.
     */
    private static void groupArrays(byte[] t, int firstRow, int g, byte[][] src, int[] off, ByteBuffer[] out,
                                    int bulk) {
        int k = src.length;
        int rowStride = k * 2 * TABLE;
        byte[] d0 = out[firstRow].array();
        int o0 = out[firstRow].arrayOffset() + out[firstRow].position();
        byte[] d1 = g > 1 ? out[firstRow + 1].array() : null;
        int o1 = g > 1 ? out[firstRow + 1].arrayOffset() + out[firstRow + 1].position() : 0;
        byte[] d2 = g > 2 ? out[firstRow + 2].array() : null;
        int o2 = g > 2 ? out[firstRow + 2].arrayOffset() + out[firstRow + 2].position() : 0;
        byte[] d3 = g > 3 ? out[firstRow + 3].array() : null;
        int o3 = g > 3 ? out[firstRow + 3].arrayOffset() + out[firstRow + 3].position() : 0;
        int base0 = firstRow * rowStride;
        for (int x = 0; x < bulk; x += LANES) {
            ByteVector a0 = ByteVector.zero(SPECIES);
            ByteVector a1 = a0;
            ByteVector a2 = a0;
            ByteVector a3 = a0;
            for (int j = 0; j < k; j++) {
                ByteVector v = ByteVector.fromArray(SPECIES, src[j], off[j] + x);
                VectorShuffle<Byte> lo = v.and((byte) 0x0f).toShuffle();
                VectorShuffle<Byte> hi = highNibbles(v).toShuffle();
                int b = base0 + j * 2 * TABLE;
                a0 = a0.lanewise(VectorOperators.XOR, lookup(t, b, lo, hi));
                if (g > 1) {
                    a1 = a1.lanewise(VectorOperators.XOR, lookup(t, b + rowStride, lo, hi));
                    if (g > 2) {
                        a2 = a2.lanewise(VectorOperators.XOR, lookup(t, b + 2 * rowStride, lo, hi));
                        if (g > 3) {
                            a3 = a3.lanewise(VectorOperators.XOR, lookup(t, b + 3 * rowStride, lo, hi));
                        }
                    }
                }
            }
            a0.intoArray(d0, o0 + x);
            if (g > 1) {
                a1.intoArray(d1, o1 + x);
                if (g > 2) {
                    a2.intoArray(d2, o2 + x);
                    if (g > 3) {
                        a3.intoArray(d3, o3 + x);
                    }
                }
            }
        }
    }

    /**
     * {@code b >>> 4} of every byte. A 16-bit shift then a mask: x86 has no byte shift, and the
     * JIT's emulation of a byte-lane shift costs several instructions.
     */
    private static ByteVector highNibbles(ByteVector v) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0f);
    }

    private static ByteVector lookup(byte[] t, int base, VectorShuffle<Byte> lo, VectorShuffle<Byte> hi) {
        return ByteVector.fromArray(SPECIES, t, base).rearrange(lo)
                .lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, t, base + TABLE).rearrange(hi));
    }

    private static void rowBuffers(byte[] tables, int rowBase, ByteBuffer[] in, ByteBuffer out, int bulk) {
        int k = in.length;
        int d = out.position();
        for (int x = 0; x < bulk; x += LANES) {
            ByteVector acc = product(tables, rowBase,
                    ByteVector.fromByteBuffer(SPECIES, in[0], in[0].position() + x, ByteOrder.LITTLE_ENDIAN));
            for (int j = 1; j < k; j++) {
                ByteVector v = ByteVector.fromByteBuffer(SPECIES, in[j], in[j].position() + x, ByteOrder.LITTLE_ENDIAN);
                acc = acc.lanewise(VectorOperators.XOR, product(tables, rowBase + j * 2 * TABLE, v));
            }
            acc.intoByteBuffer(out, d + x, ByteOrder.LITTLE_ENDIAN);
        }
    }

    private static ByteVector product(byte[] tables, int base, ByteVector v) {
        ByteVector low = ByteVector.fromArray(SPECIES, tables, base);
        ByteVector high = ByteVector.fromArray(SPECIES, tables, base + TABLE);
        ByteVector lo = v.and((byte) 0x0f);
        ByteVector hi = highNibbles(v);
        return low.rearrange(lo.toShuffle()).lanewise(VectorOperators.XOR, high.rearrange(hi.toShuffle()));
    }
}
