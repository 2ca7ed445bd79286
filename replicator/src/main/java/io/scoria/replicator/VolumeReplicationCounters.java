package io.scoria.replicator;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One volume's replication progress since the job started, served per volume as Prometheus
 * metrics ({@link MetricsEndpoint}): objects and bytes shipped, objects found on the target
 * already, manifests published, objects deleted as obsolete ({@link ObsoleteSweeper}), errors, whether the volume was stopped by an error, and its lag.
 *
 * <p>Lag: a pass that finds the source's newest manifest ahead of the replica marks the volume
 * <em>behind</em> since that manifest reached the source backend (the earliest such time while it
 * stays behind, so passes that fail keep the lag growing); it is current again when a pass
 * publishes that manifest on the target or finds the target holding it. {@link #lagMillis} is
 * measured from that time to the moment it is asked. {@link #pendingObjects} counts the objects
 * the replica is known to lack: the TLogs it lacked when the pass started, plus the SCOs each of
 * them seals that the target lacks (counted as the pass reads that TLog), less every object put
 * since; 0 once current. A new source manifest is only seen at the next pass, so both are lower
 * bounds between polls.
 *
 * <p>Written by the job's thread and its shipping threads, read by anyone. Thread-safe (atomics,
 * no locks).
 */
public final class VolumeReplicationCounters {
    private final String volume;
    private final AtomicLong objectsShipped = new AtomicLong();
    private final AtomicLong bytesShipped = new AtomicLong();
    private final AtomicLong objectsSkipped = new AtomicLong();
    private final AtomicLong manifestsPublished = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong objectsDeleted = new AtomicLong();
    private final AtomicLong behindSinceMillis = new AtomicLong();
    private final AtomicLong pendingObjects = new AtomicLong();
    private final AtomicLong lastCurrentMillis = new AtomicLong();
    private volatile boolean stopped;

    VolumeReplicationCounters(String volume) {
        this.volume = Objects.requireNonNull(volume, "volume");
    }

    public String volume() {
        return volume;
    }

    void shipped(long bytes) {
        objectsShipped.incrementAndGet();
        bytesShipped.addAndGet(bytes);
        pendingObjects.updateAndGet(p -> Math.max(0, p - 1));
    }

    void skipped() {
        objectsSkipped.incrementAndGet();
    }

    /** A pass found the source's manifest of {@code sourceWrittenMillis} ahead of the replica, lacking {@code tlogs} TLogs. */
    void behind(long sourceWrittenMillis, long tlogs) {
        behindSinceMillis.updateAndGet(since -> since == 0 ? Math.max(1, sourceWrittenMillis) : Math.min(since, sourceWrittenMillis));
        pendingObjects.set(tlogs);
    }

    /** A pass read a TLog that seals {@code scos} SCOs the target lacks. */
    void pending(long scos) {
        pendingObjects.addAndGet(scos);
    }

    void published() {
        manifestsPublished.incrementAndGet();
    }

    /** The replica holds the source's newest manifest as of {@code nowMillis}. */
    void current(long nowMillis) {
        behindSinceMillis.set(0);
        pendingObjects.set(0);
        lastCurrentMillis.set(nowMillis);
    }

    /** {@code objects} the source dropped were deleted on the target. */
    void deleted(long objects) {
        objectsDeleted.addAndGet(objects);
    }

    void error() {
        errors.incrementAndGet();
    }

    void stopped() {
        stopped = true;
        errors.incrementAndGet();
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

    /** Objects deleted on the target because the source dropped them (scrubbed) and the replica no longer names them. */
    public long objectsDeleted() {
        return objectsDeleted.get();
    }

    /** Passes of this volume that failed (and were retried) or stopped it. */
    public long errors() {
        return errors.get();
    }

    /** True when an error stopped this volume's replication for the rest of the job. */
    public boolean isStopped() {
        return stopped;
    }

    /** How long, at {@code nowMillis}, the replica has lacked a manifest the source holds; 0 when current. */
    public long lagMillis(long nowMillis) {
        long since = behindSinceMillis.get();
        return since == 0 ? 0 : Math.max(0, nowMillis - since);
    }

    /** Objects the replica is known to lack; 0 when current. */
    public long pendingObjects() {
        return pendingObjects.get();
    }

    /** When a pass last left or found the replica current (epoch milliseconds), 0 if never. */
    public long lastCurrentMillis() {
        return lastCurrentMillis.get();
    }
}
