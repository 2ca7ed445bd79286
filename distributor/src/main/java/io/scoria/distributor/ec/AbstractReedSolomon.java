package io.scoria.distributor.ec;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The matrix side of Reed-Solomon shared by every implementation: argument checks, the
 * generator matrix, decode matrices (cached per erasure pattern) and the choice of inputs.
 * Subclasses only multiply a coefficient matrix with input fragments ({@link #apply}).
 *
 * @param <P> the implementation's prepared form of a coefficient matrix (lookup tables)
 */
abstract class AbstractReedSolomon<P> implements ErasureCodec {
    /** Up to 32 fragments: a pattern fits in an int mask. */
    static final int MAX_FRAGMENTS = 32;

    private final int data;
    private final int total;
    private final byte[][] generator;
    private final P encodePrepared;
    private final Map<Long, P> decodeCache = new ConcurrentHashMap<>();

    AbstractReedSolomon(int data, int total) {
        if (data < 1) {
            throw new IllegalArgumentException("data fragments must be >= 1: " + data);
        }
        if (total <= data) {
            throw new IllegalArgumentException("total fragments (" + total + ") must exceed data fragments (" + data + ")");
        }
        if (total > MAX_FRAGMENTS) {
            throw new IllegalArgumentException("total fragments must be <= " + MAX_FRAGMENTS + ": " + total);
        }
        this.data = data;
        this.total = total;
        this.generator = Galois.generator(data, total);
        byte[][] parityRows = new byte[total - data][];
        for (int i = 0; i < parityRows.length; i++) {
            parityRows[i] = generator[data + i].clone();
        }
        this.encodePrepared = prepare(parityRows);
    }

    /** Turns coefficient rows (each {@code dataFragments()} long) into the kernel's form. */
    abstract P prepare(byte[][] rows);

    /**
     * {@code out[r] = sum_j rows[r][j] * in[j]} over {@code length} bytes from each buffer's
     * position; positions are not moved.
     */
    abstract void apply(P prepared, ByteBuffer[] in, ByteBuffer[] out, int length);

    @Override
    public final int dataFragments() {
        return data;
    }

    @Override
    public final int totalFragments() {
        return total;
    }

    @Override
    public final void encode(ByteBuffer[] dataBuffers, ByteBuffer[] parity) {
        checkArray(dataBuffers, data, "data");
        checkArray(parity, total - data, "parity");
        int length = dataBuffers[0].remaining();
        for (int i = 0; i < data; i++) {
            checkBuffer(dataBuffers[i], length, "data[" + i + "]", false);
        }
        for (int i = 0; i < parity.length; i++) {
            checkBuffer(parity[i], length, "parity[" + i + "]", true);
        }
        apply(encodePrepared, dataBuffers, parity, length);
    }

    @Override
    public final void reconstruct(ByteBuffer[] fragments, boolean[] present) {
        if (fragments == null || present == null) {
            throw new IllegalArgumentException("fragments and present must not be null");
        }
        if (fragments.length != total || present.length != total) {
            throw new IllegalArgumentException("fragments and present must have " + total + " entries, got "
                    + fragments.length + " and " + present.length);
        }
        int length = -1;
        int presentCount = 0;
        int chosenMask = 0;
        int wantedMask = 0;
        for (int i = 0; i < total; i++) {
            ByteBuffer b = fragments[i];
            if (present[i]) {
                if (b == null) {
                    throw new IllegalArgumentException("fragments[" + i + "] is marked present but is null");
                }
                presentCount++;
                if (Integer.bitCount(chosenMask) < data) {
                    chosenMask |= 1 << i;
                }
            } else if (b != null) {
                wantedMask |= 1 << i;
            }
            if (b != null) {
                if (length < 0) {
                    length = b.remaining();
                }
                checkBuffer(b, length, "fragments[" + i + "]", !present[i]);
            }
        }
        if (presentCount < data) {
            throw new TooManyErasuresException(presentCount, data, total);
        }
        if (wantedMask == 0) {
            return;
        }
        ByteBuffer[] in = new ByteBuffer[data];
        for (int i = 0, n = 0; i < total; i++) {
            if ((chosenMask & (1 << i)) != 0) {
                in[n++] = fragments[i];
            }
        }
        ByteBuffer[] out = new ByteBuffer[Integer.bitCount(wantedMask)];
        for (int i = 0, n = 0; i < total; i++) {
            if ((wantedMask & (1 << i)) != 0) {
                out[n++] = fragments[i];
            }
        }
        long cacheKey = ((long) chosenMask << 32) | (wantedMask & 0xffffffffL);
        int chosen = chosenMask;
        int wanted = wantedMask;
        P prepared = decodeCache.computeIfAbsent(cacheKey, k -> prepare(decodeRows(chosen, wanted)));
        apply(prepared, in, out, length);
    }

    /** Rows that compute each wanted fragment from the chosen ones. */
    private byte[][] decodeRows(int chosenMask, int wantedMask) {
        byte[][] sub = new byte[data][];
        for (int i = 0, n = 0; i < total; i++) {
            if ((chosenMask & (1 << i)) != 0) {
                sub[n++] = generator[i];
            }
        }
        byte[][] inverse = Galois.invert(sub);
        byte[][] rows = new byte[Integer.bitCount(wantedMask)][];
        for (int i = 0, n = 0; i < total; i++) {
            if ((wantedMask & (1 << i)) != 0) {
                rows[n++] = i < data ? inverse[i].clone() : Galois.times(generator[i], inverse);
            }
        }
        return rows;
    }

    private static void checkArray(ByteBuffer[] buffers, int expected, String name) {
        if (buffers == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (buffers.length != expected) {
            throw new IllegalArgumentException(name + " must hold " + expected + " buffers, got " + buffers.length);
        }
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] == null) {
                throw new IllegalArgumentException(name + "[" + i + "] must not be null");
            }
        }
    }

    private static void checkBuffer(ByteBuffer b, int length, String name, boolean output) {
        if (b.remaining() != length) {
            throw new IllegalArgumentException(name + " has " + b.remaining() + " bytes, expected " + length
                    + " like the other fragments");
        }
        if (output && b.isReadOnly()) {
            throw new IllegalArgumentException(name + " is an output and must be writable");
        }
    }
}
