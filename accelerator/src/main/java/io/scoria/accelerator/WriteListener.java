package io.scoria.accelerator;

import java.nio.ByteBuffer;

/**
 * The write hook of one open volume, for the fail-over cache (FOC): the engine obtains one per
 * volume from its {@link Factory} when it opens the volume and calls it directly on the write
 * path. {@link #onWrite} and {@link #onFlush} are called on the writing thread, before the write
 * is acknowledged, with the volume's append lock held, so they must not block on I/O for long
 * (hand data to a queue); {@link #onScoOnBackend} is called on the upload thread.
 * Implementations must be thread-safe.
 *
 * <p>Buffers: {@code cluster} is only valid during the call; the listener copies what it keeps.
 */
public interface WriteListener {
    /** A cluster was appended at {@code location} (a packed ClusterLocation; 0 = zero cluster). */
    void onWrite(long lba, long location, ByteBuffer cluster);

    /** FLUSH or FUA: everything passed to {@link #onWrite} before this call must become durable. */
    void onFlush();

    /** SCO {@code scoNumber} and the TLogs naming it are on the backend: its entries may be dropped. */
    void onScoOnBackend(long scoNumber);

    /** A listener that does nothing. */
    WriteListener NONE = new WriteListener() {
        @Override
        public void onWrite(long lba, long location, ByteBuffer cluster) {
        }

        @Override
        public void onFlush() {
        }

        @Override
        public void onScoOnBackend(long scoNumber) {
        }
    };

    /**
     * Gives each volume its listener; called by the engine whenever it opens a volume (each open
     * gets a new one), on the opening thread. Thread-safe.
     */
    @FunctionalInterface
    interface Factory {
        WriteListener open(String volume);

        /** Every volume gets {@link WriteListener#NONE}. */
        Factory NONE = volume -> WriteListener.NONE;
    }
}
