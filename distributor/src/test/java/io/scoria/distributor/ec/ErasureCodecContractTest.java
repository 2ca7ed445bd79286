package io.scoria.distributor.ec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link ErasureCodec} must do. Subclassed once per implementation; the cross test
 * mixes implementations.
 */
abstract class ErasureCodecContractTest {
    private static final int MIB = 1 << 20;

    /** The implementation under test. */
    abstract ErasureCodec codec(int data, int total);

    /** The implementation used to decode what {@link #codec} encoded (itself unless a cross test). */
    ErasureCodec decoder(int data, int total) {
        return codec(data, total);
    }

    static byte[][] randomFragments(int count, int length, long seed) {
        Random random = new Random(seed);
        byte[][] f = new byte[count][length];
        for (byte[] b : f) {
            random.nextBytes(b);
        }
        return f;
    }

    /** Wraps each array in a heap or direct buffer at a non-zero position, to catch offset bugs. */
    static ByteBuffer[] wrap(byte[][] arrays, boolean direct) {
        ByteBuffer[] out = new ByteBuffer[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            int pad = 3 + i;
            ByteBuffer b = direct ? ByteBuffer.allocateDirect(arrays[i].length + 2 * pad)
                    : ByteBuffer.allocate(arrays[i].length + 2 * pad);
            b.position(pad);
            b.put(arrays[i]);
            b.position(pad);
            b.limit(pad + arrays[i].length);
            out[i] = b;
        }
        return out;
    }

    static byte[] content(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** Encodes random data; returns all fragments (data then parity) as arrays. */
    byte[][] encodeRandom(ErasureCodec codec, int length, long seed, boolean direct) {
        int k = codec.dataFragments();
        int m = codec.parityFragments();
        byte[][] data = randomFragments(k, length, seed);
        ByteBuffer[] in = wrap(data, direct);
        ByteBuffer[] parity = wrap(new byte[m][length], direct);
        int[] positions = new int[k];
        for (int i = 0; i < k; i++) {
            positions[i] = in[i].position();
        }
        codec.encode(in, parity);
        byte[][] all = new byte[k + m][];
        for (int i = 0; i < k; i++) {
            assertArrayEquals(data[i], content(in[i]), "encode must not modify data[" + i + "]");
            assertEquals(positions[i], in[i].position(), "encode must not move data positions");
            all[i] = data[i];
        }
        for (int i = 0; i < m; i++) {
            assertEquals(length, parity[i].remaining(), "encode must not move parity position/limit");
            all[k + i] = content(parity[i]);
        }
        return all;
    }

    /** Erases the fragments in {@code erasedMask}, rebuilds them and compares. */
    void checkRebuild(ErasureCodec dec, byte[][] all, int erasedMask, boolean direct) {
        int n = all.length;
        int length = all[0].length;
        ByteBuffer[] fragments = new ByteBuffer[n];
        boolean[] present = new boolean[n];
        ByteBuffer[] wrapped = wrap(all, direct);
        for (int i = 0; i < n; i++) {
            present[(i)] = (erasedMask & (1 << i)) == 0;
            fragments[i] = present[i] ? wrapped[i] : wrap(new byte[][] {new byte[length]}, direct)[0];
        }
        dec.reconstruct(fragments, present);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(all[i], content(fragments[i]),
                    "fragment " + i + " wrong after erasing mask " + Integer.toBinaryString(erasedMask)
                            + (present[i] ? " (an input was modified)" : ""));
        }
    }

    @ParameterizedTest(name = "RS({0},{1})")
    @CsvSource({"4,6", "2,3", "6,9", "10,14"})
    void everyErasurePatternRebuilds(int k, int n) {
        byte[][] all = encodeRandom(codec(k, n), 4096 + 17, k * 31L + n, false);
        ErasureCodec dec = decoder(k, n);
        int patterns = 0;
        for (int mask = 0; mask < (1 << n); mask++) {
            if (Integer.bitCount(mask) <= n - k) {
                checkRebuild(dec, all, mask, (mask & 1) == 1);
                patterns++;
            }
        }
        assertTrue(patterns > n, "tested " + patterns + " patterns");
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {1, 63, 4095, 4096, MIB, MIB + 17})
    void lengthsHeapAndDirect(int length) {
        for (boolean direct : new boolean[] {false, true}) {
            ErasureCodec codec = codec(4, 6);
            byte[][] all = encodeRandom(codec, length, length, direct);
            checkRebuild(decoder(4, 6), all, 0b000011, direct);
            checkRebuild(decoder(4, 6), all, 0b100100, !direct);
        }
    }

    @Test
    void parityMatchesTheCauchyDefinition() {
        ErasureCodec codec = codec(3, 5);
        byte[][] all = encodeRandom(codec, 200, 9, false);
        for (int p = 0; p < 2; p++) {
            for (int x = 0; x < 200; x++) {
                int expected = 0;
                for (int j = 0; j < 3; j++) {
                    expected ^= Galois.multiply(Galois.inverse((3 + p) ^ j), all[j][x]);
                }
                assertEquals((byte) expected, all[3 + p][x], "parity " + p + " byte " + x);
            }
        }
    }

    @Test
    void tooManyErasuresIsAClearError() {
        ErasureCodec codec = codec(4, 6);
        byte[][] all = encodeRandom(codec, 100, 1, false);
        ByteBuffer[] fragments = wrap(all, false);
        boolean[] present = {true, false, true, false, false, true};
        TooManyErasuresException e = assertThrows(TooManyErasuresException.class,
                () -> decoder(4, 6).reconstruct(fragments, present));
        assertTrue(e.getMessage().contains("only 3 of 6"), e.getMessage());
        assertEquals(3, e.present());
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> codec(0, 2));
        assertThrows(IllegalArgumentException.class, () -> codec(4, 4));
        assertThrows(IllegalArgumentException.class, () -> codec(30, 33));
        ErasureCodec codec = codec(2, 3);
        ByteBuffer a = ByteBuffer.allocate(10);
        ByteBuffer b = ByteBuffer.allocate(11);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> codec.encode(new ByteBuffer[] {a, b}, new ByteBuffer[] {ByteBuffer.allocate(10)}));
        assertTrue(e.getMessage().contains("data[1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> codec.encode(new ByteBuffer[] {a}, new ByteBuffer[] {ByteBuffer.allocate(10)}));
        assertThrows(IllegalArgumentException.class,
                () -> codec.encode(new ByteBuffer[] {a, a.duplicate()}, new ByteBuffer[] {ByteBuffer.allocate(10).asReadOnlyBuffer()}));
    }

    @Test
    void thirtyTwoFragmentsWork() {
        byte[][] all = encodeRandom(codec(24, 32), 777, 5, true);
        checkRebuild(decoder(24, 32), all, 0xff000000 >>> 3, false);
        checkRebuild(decoder(24, 32), all, 0xff, true);
    }
}
