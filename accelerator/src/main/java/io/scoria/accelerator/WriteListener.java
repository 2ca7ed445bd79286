package io.scoria.accelerator;

import java.nio.ByteBuffer;

/**
 * Hook on a volume's write path for the fail-over cache (FOC): called on the writing thread,
 * before the write is acknowledged, with the volume's write lock held, so it must not block
 * on I/O for long (hand data to a queue). Implementations must be thread-safe.
 *
 * <p>Buffers: {@code cluster} is only valid during the call; the listener copies what it keeps.
 */
public interface WriteListener {
    /** A cluster was appended at {@code location} (a packed ClusterLocation; 0 = zero cluster). */
    void onWrite(String volume, long lba, long location, ByteBuffer cluster);

    /** FLUSH or FUA: everything passed to {@link #onWrite} before this call must become durable. */
    void onFlush(String volume);

    /** SCO {@code scoNumber} and the TLogs naming it are on the backend: its entries may be dropped. */
    void onScoOnBackend(String volume, long scoNumber);

    /** A listener that does nothing. */
    WriteListener NONE = new WriteListener() {
        @Override
        public void onWrite(String volume, long lba, long location, ByteBuffer cluster) {
        }

        @Override
        public void onFlush(String volume) {
        }

        @Override
        public void onScoOnBackend(String volume, long scoNumber) {
        }
    };
}
