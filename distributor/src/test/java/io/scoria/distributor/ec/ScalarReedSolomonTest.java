package io.scoria.distributor.ec;

class ScalarReedSolomonTest extends ErasureCodecContractTest {
    @Override
    ErasureCodec codec(int data, int total) {
        return new ScalarReedSolomon(data, total);
    }
}
