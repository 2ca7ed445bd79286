package io.scoria.distributor.ec;

class VectorReedSolomonTest extends ErasureCodecContractTest {
    @Override
    ErasureCodec codec(int data, int total) {
        return new VectorReedSolomon(data, total);
    }
}
