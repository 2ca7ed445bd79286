package io.scoria.distributor.ec;

import java.nio.ByteBuffer;

/**
 * A systematic Reed-Solomon code over GF(2^8): {@link #dataFragments()} data fragments (the
 * plain data) and {@link #parityFragments()} parity fragments; any {@code dataFragments()} of
 * the {@link #totalFragments()} fragments rebuild all others.
 *
 * <p>Buffers: every buffer passed in holds one fragment from its position to its limit, and
 * all fragments of one call have the same length. The codec never changes a buffer's position
 * or limit, never writes to an input, and keeps no reference after the call returns; the
 * caller keeps ownership of all buffers. Heap and direct buffers may be mixed.
 *
 * <p>Thread-safety: immutable after construction; any number of threads may encode and
 * decode concurrently on distinct output buffers.
 */
public interface ErasureCodec {

    /** X: the number of data fragments. */
    int dataFragments();

    /** Y: data plus parity fragments. */
    int totalFragments();

    default int parityFragments() {
        return totalFragments() - dataFragments();
    }

    /** Which implementation this is, for logs and benchmarks, e.g. {@code vector(512 bits)}. */
    String implementation();

    /**
     * Computes the parity of one stripe.
     *
     * @param data   {@link #dataFragments()} input buffers, read only
     * @param parity {@link #parityFragments()} output buffers, overwritten from position to limit
     */
    void encode(ByteBuffer[] data, ByteBuffer[] parity);

    /**
     * Rebuilds missing fragments of one stripe. {@code fragments} has {@link #totalFragments()}
     * entries, index = fragment number (data first, then parity). Where {@code present[i]} is
     * true, {@code fragments[i]} is an input; where it is false, {@code fragments[i]} is either
     * null (not wanted) or an output buffer to fill.
     *
     * @throws TooManyErasuresException if fewer than {@link #dataFragments()} are present
     */
    void reconstruct(ByteBuffer[] fragments, boolean[] present);
}
