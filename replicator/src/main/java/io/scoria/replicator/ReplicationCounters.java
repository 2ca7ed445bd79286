package io.scoria.replicator;

import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

/**
 * Progress of a replication job since it started: objects and bytes shipped, objects found
 * already on the target, manifests published, volumes stopped by an error, and the replica's
 * lag (time between the source manifest last shipped and its arrival on the target); and the same
 * per volume ({@link #volume}), where the volume is the namespace the objects go to; the job's
 * totals are the sums over its volumes. Written by the shipping threads, read by anyone.
 * Thread-safe.
 */
public final class ReplicationCounters {
    private final AtomicLong lagMillis = new AtomicLong();
    private final ConcurrentSkipListMap<String, VolumeReplicationCounters> volumes = new ConcurrentSkipListMap<>();

    /** The counters of volume {@code name}, made on first use. */
    public VolumeReplicationCounters volume(String name) {
        return volumes.computeIfAbsent(name, VolumeReplicationCounters::new);
    }

    /** Every volume's counters so far, by name. */
    public List<VolumeReplicationCounters> volumes() {
        return List.copyOf(volumes.values());
    }

    void shipped(String volume, long bytes) {
        volume(volume).shipped(bytes);
    }

    void skipped(String volume) {
        volume(volume).skipped();
    }

    /** {@code volume}'s manifest was published on the target {@code lag} ms after it reached the source. */
    void published(String volume, long lag) {
        lagMillis.set(Math.max(0, lag));
        VolumeReplicationCounters v = volume(volume);
        v.published();
        v.current(System.currentTimeMillis());
    }

    /** An error stopped {@code volume} for the rest of the job. */
    void failed(String volume) {
        volume(volume).stopped();
    }

    private long sum(ToLongFunction<VolumeReplicationCounters> counter) {
        return volumes.values().stream().mapToLong(counter).sum();
    }

    public long objectsShipped() {
        return sum(VolumeReplicationCounters::objectsShipped);
    }

    public long bytesShipped() {
        return sum(VolumeReplicationCounters::bytesShipped);
    }

    public long objectsSkipped() {
        return sum(VolumeReplicationCounters::objectsSkipped);
    }

    public long manifestsPublished() {
        return sum(VolumeReplicationCounters::manifestsPublished);
    }

    public long volumesFailed() {
        return sum(v -> v.isStopped() ? 1 : 0);
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
