package io.scoria.accelerator.dedup;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * XXH3-128 (seed 0, default secret) of inputs longer than 240 bytes, with the stripe
 * accumulation and scrambling in 512-bit vectors: one 64-byte stripe is exactly one vector of
 * eight 64-bit lanes, so the reference loop maps lane for lane. Bit-identical to the reference
 * (and to zero-allocation-hashing's {@code xx128}, which {@link Fingerprinter} uses for other
 * lengths and where this cannot run; {@code VectorXxh3Test} compares them). Stateless and
 * thread-safe; allocates nothing once compiled (vectors are scalar-replaced by C2).
 *
 * <p>Needs {@code --add-modules=jdk.incubator.vector} and a CPU with 512-bit vectors
 * ({@link Xxh3Choice} checks both before this class is loaded).
 */
final class VectorXxh3 {
    static final int MIN_LENGTH = 241;

    private static final VectorSpecies<Long> S = LongVector.SPECIES_512;
    private static final int STRIPE = 64;
    private static final int SECRET_SIZE = 192;
    private static final int STRIPES_PER_BLOCK = (SECRET_SIZE - STRIPE) / 8;
    private static final int BLOCK = STRIPE * STRIPES_PER_BLOCK;
    private static final long PRIME32_1 = 0x9E3779B1L;
    private static final long PRIME32_2 = 0x85EBCA77L;
    private static final long PRIME32_3 = 0xC2B2AE3DL;
    private static final long PRIME64_1 = 0x9E3779B185EBCA87L;
    private static final long PRIME64_2 = 0xC2B2AE3D27D4EB4FL;
    private static final long PRIME64_3 = 0x165667B19E3779F9L;
    private static final long PRIME64_4 = 0x85EBCA77C2B2AE63L;
    private static final long PRIME64_5 = 0x27D4EB2F165667C5L;

    /** The XXH3 default secret (kSecret). */
    private static final byte[] SECRET = bytes(
            0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
            0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
            0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
            0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
            0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
            0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
            0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
            0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
            0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
            0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
            0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
            0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e);
    /** Secret words, as longs, for the stripe at each 8-byte secret offset (0..16). */
    private static final long[][] STRIPE_KEYS = new long[STRIPES_PER_BLOCK + 1][];
    /** Secret of the last stripe, at byte offset 192 - 64 - 7. */
    private static final long[] LAST_KEY = keyAt(SECRET_SIZE - STRIPE - 7);
    /** Secrets of the final merges of the low and high halves (byte offsets 11 and 192 - 64 - 11). */
    private static final long[] MERGE_LOW = keyAt(11);
    private static final long[] MERGE_HIGH = keyAt(SECRET_SIZE - STRIPE - 11);
    private static final long[] ACC_INIT = {PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2,
            PRIME64_5, PRIME32_1};
    private static final VectorShuffle<Long> SWAP_PAIRS = VectorShuffle.fromValues(S, 1, 0, 3, 2, 5, 4, 7, 6);

    static {
        for (int s = 0; s <= STRIPES_PER_BLOCK; s++) {
            STRIPE_KEYS[s] = keyAt(s * 8);
        }
    }

    private VectorXxh3() {
    }

    /**
     * Hashes {@code length} bytes of {@code in} from absolute index {@code offset}
     * ({@code length >= MIN_LENGTH}; position and limit untouched) into {@code out[0]} (low 64
     * bits) and {@code out[1]} (high 64 bits), as zero-allocation-hashing's {@code xx128} does.
     */
    static void hash(ByteBuffer in, int offset, int length, long[] out) {
        LongVector acc = LongVector.fromArray(S, ACC_INIT, 0);
        int blocks = (length - 1) / BLOCK;
        int pos = offset;
        LongVector scrambleKey = LongVector.fromArray(S, STRIPE_KEYS[STRIPES_PER_BLOCK], 0);
        for (int b = 0; b < blocks; b++) {
            for (int s = 0; s < STRIPES_PER_BLOCK; s++) {
                acc = accumulate(acc, in, pos + s * STRIPE, STRIPE_KEYS[s]);
            }
            acc = scramble(acc, scrambleKey);
            pos += BLOCK;
        }
        int stripes = ((length - 1) - BLOCK * blocks) / STRIPE;
        for (int s = 0; s < stripes; s++) {
            acc = accumulate(acc, in, pos + s * STRIPE, STRIPE_KEYS[s]);
        }
        acc = accumulate(acc, in, offset + length - STRIPE, LAST_KEY);
        out[0] = merge(acc, MERGE_LOW, length * PRIME64_1);
        out[1] = merge(acc, MERGE_HIGH, ~(length * PRIME64_2));
    }

    private static LongVector accumulate(LongVector acc, ByteBuffer in, int at, long[] key) {
        LongVector data = LongVector.fromByteBuffer(S, in, at, ByteOrder.LITTLE_ENDIAN);
        LongVector dk = data.lanewise(VectorOperators.XOR, LongVector.fromArray(S, key, 0));
        LongVector product = dk.lanewise(VectorOperators.AND, 0xFFFFFFFFL)
                .mul(dk.lanewise(VectorOperators.LSHR, 32));
        return acc.add(data.rearrange(SWAP_PAIRS)).add(product);
    }

    private static LongVector scramble(LongVector acc, LongVector key) {
        return acc.lanewise(VectorOperators.XOR, acc.lanewise(VectorOperators.LSHR, 47))
                .lanewise(VectorOperators.XOR, key)
                .mul(PRIME32_1);
    }

    private static long merge(LongVector acc, long[] key, long start) {
        long result = start;
        for (int i = 0; i < 4; i++) {
            long lo = acc.lane(2 * i) ^ key[2 * i];
            long hi = acc.lane(2 * i + 1) ^ key[2 * i + 1];
            // the 128-bit product folded: low word XOR unsigned high word
            result += (lo * hi) ^ (Math.multiplyHigh(lo, hi) + unsignedCorrection(lo, hi));
        }
        return avalanche(result);
    }

    /** {@code Math.multiplyHigh} is signed; the unsigned high word differs by these terms. */
    private static long unsignedCorrection(long a, long b) {
        return ((a >> 63) & b) + ((b >> 63) & a);
    }

    private static long avalanche(long h) {
        h ^= h >>> 37;
        h *= 0x165667919E3779F9L;
        return h ^ (h >>> 32);
    }

    private static long secretLong(int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (SECRET[at + i] & 0xFFL);
        }
        return v;
    }

    private static long[] keyAt(int byteOffset) {
        long[] k = new long[8];
        for (int i = 0; i < 8; i++) {
            k[i] = secretLong(byteOffset + 8 * i);
        }
        return k;
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }
}
