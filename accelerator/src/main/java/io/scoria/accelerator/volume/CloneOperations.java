package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeConflictException;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The clone and template operations of one {@link LocalVolume}: a hydration step of a clone and its
 * clone state (THIN or INDEPENDENT), flattening a hydrated clone, resetting a clone to its parent's
 * snapshot, and making the volume a read-only template. The work is {@link CloneHydration}'s and
 * {@link HistoryRewriter}'s; this class checks the arguments and the volume's state and takes the
 * volume's locks around that work.
 *
 * <p>Thread-safety: any thread may call it, as any thread may call the volume. It holds no lock and no
 * state of its own: it takes the volume's structure read-write lock and append lock (owned by the
 * {@link LocalVolume} and shared with it) exactly as the volume's other operations do. A hydration
 * step holds the structure lock shared (the append lock only while appending) and so runs next to
 * reads and writes; the clone state holds it shared; reset, flatten and making a template hold it
 * exclusively and so exclude all I/O of the volume.
 */
final class CloneOperations {
    /** How long making a template waits for background readers of the volume to let go. */
    private static final long TEMPLATE_LOCK_WAIT_SECONDS = 5;
    private final LocalVolume volume;
    private final VolumeLog log;
    private final HistoryRewriter history;
    private final CloneHydration hydration;
    private final ReentrantReadWriteLock structure;
    private final ReentrantLock append;
    /** The volume's writes, trims and zeroings in flight (counted by the volume). */
    private final AtomicInteger inFlight;

    /** The operations of {@code volume}, over its log, collaborators and locks (all owned by the volume). */
    CloneOperations(LocalVolume volume, VolumeLog log, HistoryRewriter history, CloneHydration hydration,
                    ReentrantReadWriteLock structure, ReentrantLock append, AtomicInteger inFlight) {
        this.volume = volume;
        this.log = log;
        this.history = history;
        this.hydration = hydration;
        this.structure = structure;
        this.append = append;
        this.inFlight = inFlight;
    }

    /** Discards the clone's own data and returns it to its parent's snapshot. */
    void resetToParent() {
        structure.writeLock().lock();
        try {
            volume.checkOpen();
            volume.checkMutable("reset");
            history.reset();
            hydration.forget();
        } finally {
            structure.writeLock().unlock();
        }
    }

    /**
     * One hydration step of this clone (see {@link io.scoria.accelerator.VolumeService#hydrate}); runs next
     * to reads and writes (structure lock shared, the append lock only while appending).
     */
    io.scoria.accelerator.HydrationStep hydrate(long fromCluster, int maxClusters) {
        if (maxClusters < 1) {
            throw new IllegalArgumentException("hydrate: maxClusters must be >= 1: " + maxClusters);
        }
        structure.readLock().lock();
        try {
            volume.checkOpen();
            volume.checkWritable("hydrate");
            long clusters = volume.size() / volume.clusterSize();
            if (fromCluster < 0 || fromCluster > clusters) {
                throw new IllegalArgumentException("hydrate: cluster " + fromCluster + " is outside volume '" + volume.name()
                        + "' (0.." + clusters + ")");
            }
            if (log.manifest().parent() == null) {
                throw new VolumeConflictException("volume '" + volume.name()
                        + "' is not a clone (or is flattened): nothing to hydrate");
            }
            return hydration.step(fromCluster, maxClusters, clusters, append);
        } finally {
            structure.readLock().unlock();
        }
    }

    /**
     * {@link io.scoria.accelerator.VolumeInfo#THIN} or {@link io.scoria.accelerator.VolumeInfo#INDEPENDENT} for a
     * clone (the first call scans the map), null for a volume without a parent.
     */
    String cloneState() {
        structure.readLock().lock();
        try {
            if (volume.isClosed() || log.manifest().parent() == null) {
                return null;
            }
            return hydration.state(volume.size() / volume.clusterSize());
        } finally {
            structure.readLock().unlock();
        }
    }

    /** Cuts the parent link of a hydrated clone (see {@link HistoryRewriter#flatten}); excludes all I/O while it runs. */
    void flatten() {
        structure.writeLock().lock();
        try {
            volume.checkOpen();
            volume.checkWritable("flatten");
            history.flatten(hydration);
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** Makes the volume a read-only template, taking a snapshot if writes follow the last one. */
    void makeTemplate() {
        boolean locked;
        try {
            // a background reader (a garbage measurement, a hydration step) holds the lock shared for a moment
            locked = inFlight.get() == 0 && structure.writeLock().tryLock(TEMPLATE_LOCK_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            throw new VolumeConflictException("volume '" + volume.name() + "' has writes in flight; retry makeTemplate when idle");
        }
        try {
            volume.checkOpen();
            volume.checkMutable("makeTemplate");
            if (inFlight.get() > 0) {
                throw new VolumeConflictException("volume '" + volume.name() + "' has writes in flight; retry makeTemplate when idle");
            }
            history.makeTemplate();
        } finally {
            structure.writeLock().unlock();
        }
    }
}
