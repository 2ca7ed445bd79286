package io.scoria.accelerator.foc;

import java.nio.ByteBuffer;

/**
 * Receives the entries of a volume during replay, in the order they must be applied: by SCO
 * number, then in the order they were added. A later entry for the same LBA wins.
 *
 * <p>Buffers: {@code cluster} is owned by the caller and valid only during the call (copy what
 * must outlive it). Called on one thread at a time.
 */
@FunctionalInterface
public interface FocEntryConsumer {
    void accept(long lba, long scoNumber, int offsetInSco, int scoVersion, ByteBuffer cluster);
}
