package io.scoria.accelerator.dedup;

import net.openhft.hashing.LongTupleHashFunction;

import java.nio.ByteBuffer;

/**
 * Computes a cluster's 128-bit fingerprint into {@code out[0]} (high) and {@code out[1]}
 * (low) without allocating. Tests inject colliding implementations; production uses
 * {@link #XXH3_128}. Implementations are thread-safe; {@code cluster}'s position is unchanged.
 */
@FunctionalInterface
public interface Fingerprinter {
    void fingerprint(ByteBuffer cluster, long[] out);

    /** XXH3-128 (zero-allocation-hashing). */
    Fingerprinter XXH3_128 = new Fingerprinter() {
        private final LongTupleHashFunction xx = LongTupleHashFunction.xx128();

        @Override
        public void fingerprint(ByteBuffer cluster, long[] out) {
            xx.hashBytes(cluster, cluster.position(), cluster.remaining(), out);
        }
    };
}
