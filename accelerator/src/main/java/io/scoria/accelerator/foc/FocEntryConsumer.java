package io.scoria.accelerator.foc;

import java.nio.ByteBuffer;

/**
 * Receives the entries of a volume during replay, in the order they must be applied: by SCO
 * tag (see {@link FailoverCache}), then in the order they were added. A later entry for the same
 * LBA wins. {@code scoTag}, {@code offsetInSco} and {@code scoVersion} are what the owner passed to
 * {@link FailoverCache#add}.
 *
 * <p>Buffers: {@code cluster} is owned by the caller and valid only during the call (copy what
 * must outlive it). Called on one thread at a time.
 */
@FunctionalInterface
public interface FocEntryConsumer {
    void accept(long lba, long scoTag, int offsetInSco, int scoVersion, ByteBuffer cluster);
}
