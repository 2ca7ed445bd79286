package io.scoria.distributor.ec;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
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
        for (int r = 0; r < out.length; r++) {
            int rowBase = r * k * 2 * TABLE;
            if (arrays) {
                rowArrays(tables, rowBase, in, out[r], bulk);
            } else {
                rowBuffers(tables, rowBase, in, out[r], bulk);
            }
            if (bulk < length) {
                int coefBase = out.length * k * 2 * TABLE + r * k;
                for (int j = 0; j < k; j++) {
                    ScalarReedSolomon.multiplyInto(tables[coefBase + j] & 0xff, in[j], out[r], bulk, length, j == 0);
                }
            }
        }
    }

    private static void rowArrays(byte[] tables, int rowBase, ByteBuffer[] in, ByteBuffer out, int bulk) {
        int k = in.length;
        byte[] dst = out.array();
        int d = out.arrayOffset() + out.position();
        if (k == 1) {
            mulArray(tables, rowBase, in[0].array(), in[0].arrayOffset() + in[0].position(), dst, d, bulk);
            return;
        }
        byte[][] src = new byte[k][];
        int[] off = new int[k];
        for (int j = 0; j < k; j++) {
            src[j] = in[j].array();
            off[j] = in[j].arrayOffset() + in[j].position();
        }
        for (int x = 0; x < bulk; x += LANES) {
            ByteVector acc = product(tables, rowBase, ByteVector.fromArray(SPECIES, src[0], off[0] + x));
            for (int j = 1; j < k; j++) {
                acc = acc.lanewise(VectorOperators.XOR,
                        product(tables, rowBase + j * 2 * TABLE, ByteVector.fromArray(SPECIES, src[j], off[j] + x)));
            }
            acc.intoArray(dst, d + x);
        }
    }

    private static void mulArray(byte[] tables, int base, byte[] src, int s, byte[] dst, int d, int bulk) {
        for (int x = 0; x < bulk; x += LANES) {
            product(tables, base, ByteVector.fromArray(SPECIES, src, s + x)).intoArray(dst, d + x);
        }
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
        ByteVector hi = v.lanewise(VectorOperators.LSHR, 4);
        return low.rearrange(lo.toShuffle()).lanewise(VectorOperators.XOR, high.rearrange(hi.toShuffle()));
    }
}
