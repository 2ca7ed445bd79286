package io.scoria.accelerator.foc.server;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@link VolumeMeta} of one volume as it is on disk: writes a record unless it is already the
 * durable one, one write at a time, and publishes the durable removal watermark.
 *
 * <p>Threads: any (the volume's thread for registrations, its persister for removals). Locks: its
 * own monitor serialises the writes; {@link #removedUpTo()} reads a volatile without it, so the
 * volume's lock never waits for an fsync here. Holds no buffers.
 */
final class DurableMeta {
    private final Path dir;
    /** The record last written durably; guarded by {@code this}. */
    private VolumeMeta durable;
    private volatile long durableUpTo = Long.MIN_VALUE;

    DurableMeta(Path dir) {
        this.dir = dir;
    }

    /** Records {@code m} as read from disk at load (null: none). */
    synchronized void loaded(VolumeMeta m) {
        durable = m;
        durableUpTo = m == null ? Long.MIN_VALUE : m.removedUpTo();
    }

    /** Writes {@code m} durably unless it already is. */
    synchronized void write(VolumeMeta m) throws IOException {
        if (!m.equals(durable)) {
            m.write(dir);
            durable = m;
            durableUpTo = m.removedUpTo();
        }
    }

    /** The removal watermark that is durable. */
    long removedUpTo() {
        return durableUpTo;
    }
}
