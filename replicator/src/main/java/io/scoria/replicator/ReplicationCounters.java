package io.scoria.replicator;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a replication job since it started: objects and bytes shipped, objects found
 * already on the target, manifests published, volumes stopped by an error, and the replica's
 * lag (time between the source manifest last shipped and its arrival on the target). Written by
 * the shipping threads, read by anyone. Thread-safe.
 */
public final class ReplicationCounters {
    private final AtomicLong objectsShipped = new AtomicLong();
    private final AtomicLong bytesShipped = new AtomicLong();
    private final AtomicLong objectsSkipped = new AtomicLong();
    private final AtomicLong manifestsPublished = new AtomicLong();
    private final AtomicLong volumesFailed = new AtomicLong();
    private final AtomicLong lagMillis = new AtomicLong();

    void shipped(long bytes) {
        objectsShipped.incrementAndGet();
        bytesShipped.addAndGet(bytes);
    }

    void skipped() {
        objectsSkipped.incrementAndGet();
    }

    void published(long lag) {
        manifestsPublished.incrementAndGet();
        lagMillis.set(Math.max(0, lag));
    }

    void failed() {
        volumesFailed.incrementAndGet();
    }

    public long objectsShipped() {
        return objectsShipped.get();
    }

    public long bytesShipped() {
        return bytesShipped.get();
    }

    public long objectsSkipped() {
        return objectsSkipped.get();
    }

    public long manifestsPublished() {
        return manifestsPublished.get();
    }

    public long volumesFailed() {
        return volumesFailed.get();
    }

    /** Lag of the last manifest published, in milliseconds. */
    public long lagMillis() {
        return lagMillis.get();
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%d objects shipped (%.1f MiB), %d already on the target, %d manifests, "
                        + "lag %.1f s, %d volumes failed", objectsShipped(), bytesShipped() / 1048576.0, objectsSkipped(),
                manifestsPublished(), lagMillis() / 1000.0, volumesFailed());
    }
}
