package io.scoria.accelerator.dedup;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The vector XXH3-128 gives exactly zero-allocation-hashing's bits: fingerprints are persisted
 * (TLogs, LBA maps, the cluster cache index), so one differing bit would break dedup across a
 * restart with another implementation. The vector path runs wherever jdk.incubator.vector is
 * loaded (the tests load it); without 512-bit hardware the API computes the same lanes in Java.
 */
class VectorXxh3Test {
    private static void compare(ByteBuffer b) {
        long[] want = new long[2];
        long[] got = new long[2];
        Fingerprinter.XXH3_128_SCALAR.fingerprint(b, want);
        int pos = b.position();
        Xxh3Choice.vector().fingerprint(b, got);
        assertEquals(pos, b.position(), "position unchanged");
        assertArrayEquals(want, got, "length " + b.remaining() + " at " + b.position()
                + (b.isDirect() ? " (direct)" : " (heap)"));
    }

    @Test
    void sameBitsAsTheReferenceForEveryLengthAroundTheBlockAndStripeEdges() {
        SplittableRandom r = new SplittableRandom(3);
        byte[] data = new byte[70_000];
        r.nextBytes(data);
        ByteBuffer heap = ByteBuffer.wrap(data);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        for (int len = 0; len <= 2200; len++) {
            compare(heap.duplicate().position(7).limit(7 + len));
            compare(direct.duplicate().position(1).limit(1 + len));
        }
        for (int len : new int[]{4095, 4096, 4097, 8192, 16384, 65536, 69_000}) {
            compare(heap.duplicate().position(0).limit(len));
            compare(direct.duplicate().position(data.length - len).limit(data.length));
        }
    }

    @Test
    void sameBitsForRandomAndDegenerateClusters() {
        SplittableRandom r = new SplittableRandom(11);
        ByteBuffer c = ByteBuffer.allocateDirect(4096);
        for (int i = 0; i < 2000; i++) {
            for (int k = 0; k < 4096; k += 8) {
                c.putLong(k, i % 3 == 0 ? r.nextLong() : i % 3 == 1 ? -1L : (long) i << (k % 64));
            }
            compare(c.clear());
        }
    }
}
