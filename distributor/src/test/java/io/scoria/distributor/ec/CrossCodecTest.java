package io.scoria.distributor.ec;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Encodes with one implementation and decodes with the other, both ways. */
class CrossCodecTest {

    @Nested
    class VectorEncodesScalarDecodes extends ErasureCodecContractTest {
        @Override
        ErasureCodec codec(int data, int total) {
            return new VectorReedSolomon(data, total);
        }

        @Override
        ErasureCodec decoder(int data, int total) {
            return new ScalarReedSolomon(data, total);
        }
    }

    @Nested
    class ScalarEncodesVectorDecodes extends ErasureCodecContractTest {
        @Override
        ErasureCodec codec(int data, int total) {
            return new ScalarReedSolomon(data, total);
        }

        @Override
        ErasureCodec decoder(int data, int total) {
            return new VectorReedSolomon(data, total);
        }
    }

    @Test
    void bothProduceIdenticalParity() {
        ErasureCodecContractTest helper = new VectorEncodesScalarDecodes();
        for (int length : new int[] {1, 64, 65, 4096 + 3, 100_000}) {
            byte[][] v = helper.encodeRandom(new VectorReedSolomon(10, 14), length, length, true);
            byte[][] s = helper.encodeRandom(new ScalarReedSolomon(10, 14), length, length, false);
            for (int i = 0; i < v.length; i++) {
                assertArrayEquals(s[i], v[i], "fragment " + i + " at length " + length);
            }
        }
    }

    @Test
    void factoryHonoursTheChoice() {
        org.junit.jupiter.api.Assertions.assertEquals("scalar",
                ErasureCodecs.create(ErasureCodecs.Kind.SCALAR, 4, 6).implementation());
        org.junit.jupiter.api.Assertions.assertTrue(
                ErasureCodecs.create(ErasureCodecs.Kind.VECTOR, 4, 6).implementation().startsWith("vector("));
    }
}
