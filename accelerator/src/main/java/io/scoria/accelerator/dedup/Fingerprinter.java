package io.scoria.accelerator.dedup;

import java.nio.ByteBuffer;

/**
 * Computes a cluster's 128-bit fingerprint into {@code out[0]} (high) and {@code out[1]}
 * (low) without allocating. Tests inject colliding implementations; production uses
 * {@link #XXH3_128}. Implementations are thread-safe; {@code cluster}'s position is unchanged.
 */
@FunctionalInterface
public interface Fingerprinter {
    void fingerprint(ByteBuffer cluster, long[] out);

    /**
     * XXH3-128: clusters longer than 240 bytes through {@link VectorXxh3} where the JVM and CPU
     * allow it (decided once, logged), everything else through zero-allocation-hashing; both give
     * the same bits.
     */
    Fingerprinter XXH3_128 = Xxh3Choice.choose();

    /** The plain zero-allocation-hashing XXH3-128, for comparisons. */
    Fingerprinter XXH3_128_SCALAR = Xxh3Choice.scalar();
}
