package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeCounters;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.ReplicationFencedException;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.VolumeManifest;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link Volume} stored as SCOs and TLogs (DESIGN.md write and read paths). Writes are split
 * into clusters (read-modify-write for partial ones), fingerprinted (XXH3-128), appended to
 * the open SCO, logged in the TLog, applied to the LBA map, offered to the cluster cache and
 * the volume's {@link io.scoria.accelerator.WriteListener}, then acknowledged. Zero clusters are
 * only recorded in the map and the TLog.
 *
 * <p>This class is the volume's lifecycle and its locks; the work is done by collaborators with
 * one job each: {@link VolumeIo} (the I/O calls under this volume's locks), {@link RangeReader} (read
 * path), {@link ClusterWriter} (write path),
 * {@link VolumeLog} (append, seal, flush capture, roll, close), {@link HistoryRewriter} (snapshot
 * deletion, rollback, reset, template), {@link ScrubApply} (scrub results) and {@link CloneOperations}
 * (hydration, clone state, flatten, reset to parent, make template: under this volume's locks).
 *
 * <p>Thread-safety: reads run in parallel with each other and with writes; writes, trims and
 * flushes are serialised by one append lock, which is never held across an fsync: FLUSH and
 * FUA capture what to force under it and force after releasing it, and a sealed SCO is forced
 * by the uploader (or by the next FLUSH, whichever comes first); snapshot, rollback, reset and close exclude all
 * I/O through a read-write lock (I/O holds it shared). Buffers as in {@link Volume}.
 */
public final class LocalVolume implements Volume {
    private final VolumeContext ctx;
    private final VolumeLog log;
    private final HistoryRewriter history;
    private final ScrubApply scrub;
    private final CloneHydration hydration;
    private final CloneOperations clones;
    private final String name;
    private final int clusterSize;
    /** Changes only under the structure lock held exclusively ({@link #resize}). */
    private volatile long size;
    private final RangeReader reader;
    private final VolumeIo io;
    private final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();
    private final ReentrantLock append = new ReentrantLock();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final VolumeCounters counters;
    private volatile boolean closed;

    LocalVolume(VolumeContext ctx, VolumeLog log, CacheMode mode) {
        this.ctx = ctx;
        this.log = log;
        this.history = new HistoryRewriter(ctx, log);
        this.scrub = new ScrubApply(ctx, log);
        this.name = log.manifest().name();
        this.clusterSize = log.manifest().config().clusterSize();
        this.size = log.manifest().config().sizeBytes();
        this.reader = new RangeReader(ctx, log, log.manifest().config().namespace(), clusterSize,
                log.manifest().config().scoSize(), mode);
        ClusterWriter writer = new ClusterWriter(ctx, log, reader, clusterSize);
        this.hydration = new CloneHydration(log, reader, clusterSize);
        this.counters = new OpenVolumeCounters(reader.clusterReader(), ctx.scoCache(), log.manifest().config().namespace());
        this.clones = new CloneOperations(this, log, history, hydration, structure, append, inFlight);
        this.io = new VolumeIo(this, log, reader, writer, structure, append, inFlight);
    }

    /** The clone and template operations of this volume (hydrate, clone state, flatten, reset, make template). */
    CloneOperations clones() {
        return clones;
    }

    /** This open volume's cache hits and misses and SCO backlog, for monitoring. */
    public VolumeCounters counters() {
        return counters;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int clusterSize() {
        return clusterSize;
    }

    /** Read-only: a template, a replica a replication job ships into, or a volume whose fence tripped. */
    @Override
    public boolean isReadOnly() {
        return log.manifest().template() || isReplica() || log.fence().tripped() != null;
    }

    /** True when the volume is a replica (its namespace's replication role is REPLICA): nothing here changes it. */
    public boolean isReplica() {
        return log.fence().replica();
    }

    /** The error that stopped this volume's uploads (another site took it over), else null. */
    public ReplicationFencedException fenced() {
        return log.fence().tripped();
    }

    public VolumeManifest manifest() {
        return log.manifest();
    }

    public CacheMode cacheMode() {
        return reader.cacheMode();
    }

    public void cacheMode(CacheMode mode) {
        reader.cacheMode(mode);
    }

    /**
     * Bytes of the volume that hold data (its own or inherited from a template): what {@link #extents} reports
     * as data over the whole volume, from the LBA map's count of mapped clusters instead of a look-up per
     * cluster (issue 25). O(1), except for a clone laid over its parent snapshot's shared map (a scan);
     * waits only for a change of structure (rollback, resize) in progress.
     */
    public long mappedBytes() {
        structure.readLock().lock();
        try {
            checkOpen();
            if (!log.map().layered()) {
                return log.map().mappedClusters() * clusterSize;
            }
        } finally {
            structure.readLock().unlock();
        }
        long[] data = {0}; // a clone over a shared parent map: which inherited clusters it hides needs a scan
        extents(0, size(), (length, zero) -> (data[0] += zero ? 0 : length) >= 0);
        return data[0];
    }

    @Override
    public void extents(long offset, long length, io.scoria.accelerator.ExtentSink sink) {
        if (length <= 0) {
            throw new IllegalArgumentException("extents: length must be > 0: " + length);
        }
        checkRange(offset, length, "extents");
        structure.readLock().lock();
        try {
            checkOpen();
            AllocationScan.scan(log.map(), clusterSize, size, offset, length, sink);
        } finally {
            structure.readLock().unlock();
        }
    }

    /**
     * Changes the size (see {@link io.scoria.accelerator.VolumeService#resize}); excludes all I/O while
     * it runs. A shrink first checks that neither the map nor any sealed TLog of the volume's history
     * (inherited ones included) holds an entry in the range cut off.
     */
    void resize(long newSize, boolean force) {
        if (newSize <= 0 || newSize % clusterSize != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of the cluster size (" + clusterSize + "): "
                    + newSize);
        }
        structure.writeLock().lock();
        try {
            checkOpen();
            checkWritable("resize");
            if (newSize == size) {
                return;
            }
            if (newSize < size) {
                if (!force) {
                    throw new VolumeConflictException("shrinking volume '" + name + "' from " + size + " to " + newSize
                            + " bytes cuts data off if any was written there; repeat with force to shrink a range never written");
                }
                if (log.hasUnrolledWrites()) {
                    log.roll(null); // every entry, trims too, into a sealed TLog that the check reads
                }
                history.requireUnwrittenFrom(newSize / clusterSize);
            }
            log.map().resize(newSize / clusterSize);
            log.writeManifest(log.manifest().withSize(newSize));
            log.uploads().enqueuePublish();
            size = newSize;
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** LBA map, for metadata measurements. */
    public LbaMap lbaMap() {
        return log.map();
    }

    /** Refuses a range that is negative or passes the end of the volume. */
    void checkRange(long offset, long length, String op) {
        if (offset < 0) {
            throw new IllegalArgumentException(op + ": offset must be >= 0: " + offset);
        }
        if (length < 0) {
            throw new IllegalArgumentException(op + ": length must be >= 0: " + length);
        }
        if (offset > size || length > size - offset) {
            throw new IllegalArgumentException(op + ": range [" + offset + ", " + offset + "+" + length + ") passes the end of volume '"
                    + name + "' (" + size + " bytes)");
        }
    }

    /** Refuses any operation on a closed volume. */
    void checkOpen() {
        if (closed) {
            throw new VolumeConflictException("volume '" + name + "' is closed");
        }
    }

    /** Refuses any change of a template, a replica or a fenced volume. */
    void checkWritable(String op) {
        checkMutable(op);
        if (log.manifest().template()) {
            throw new ReadOnlyVolumeException(op + " refused: volume '" + name + "' is a read-only template");
        }
    }

    /** Refuses any change of a replica or of a fenced volume. */
    void checkMutable(String op) {
        if (isReplica()) {
            throw new ReadOnlyVolumeException(op + " refused: volume '" + name + "' is a read-only replica (a replication "
                    + "job ships into it; 'scoria replicate promote' makes it writable, a clone of a snapshot is writable now)");
        }
        ReplicationFencedException f = log.fence().tripped();
        if (f != null) {
            throw new ReplicationFencedException(op + " refused: " + f.getMessage());
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        io.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        io.write(offset, src, fua);
    }

    @Override
    public void trim(long offset, long length) {
        io.trim(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        io.writeZeroes(offset, length, fua);
    }

    @Override
    public void flush() {
        io.flush();
    }

    /** Rolls the TLog (as {@link #sync}) if its oldest write is {@code maxAgeNanos} old; false if it was younger or empty. */
    boolean rollIfOlderThan(long maxAgeNanos) {
        long since = log.unrolledSince();
        if (since == 0 || System.nanoTime() - since < maxAgeNanos) {
            return false;
        }
        structure.writeLock().lock();
        try {
            if (closed) {
                return false;
            }
            log.roll(null);
            return true;
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** Seals the open SCO and TLog so that everything written so far is queued for upload. */
    public void sync() {
        structure.writeLock().lock();
        try {
            checkOpen();
            checkMutable("sync");
            log.roll(null);
        } finally {
            structure.writeLock().unlock();
        }
    }

    @Override
    public SnapshotInfo snapshot(String snapshotName) {
        if (snapshotName == null || snapshotName.isBlank() || snapshotName.length() > 128) {
            throw new IllegalArgumentException("snapshot name must be 1..128 non-blank characters: " + snapshotName);
        }
        structure.writeLock().lock();
        try {
            checkOpen();
            checkMutable("snapshot");
            if (log.manifest().snapshot(snapshotName) != null) {
                throw new VolumeConflictException("volume '" + name + "' already has a snapshot '" + snapshotName + "'");
            }
            VolumeManifest.Snapshot s = log.roll(snapshotName);
            return new SnapshotInfo(s.name(), s.id(), Instant.ofEpochMilli(s.createdMillis()), false);
        } finally {
            structure.writeLock().unlock();
        }
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        VolumeManifest m = log.manifest();
        List<SnapshotInfo> out = new ArrayList<>();
        for (VolumeManifest.Snapshot s : m.snapshots()) {
            boolean up = s.tlogs().stream().allMatch(t -> VolumeManifest.isUploaded(t, log.uploadedThrough()));
            out.add(new SnapshotInfo(s.name(), s.id(), Instant.ofEpochMilli(s.createdMillis()), up));
        }
        return out;
    }

    /**
     * Applies the manifest part of a scrub result (see {@link ScrubApply#applyManifest}); I/O goes on
     * meanwhile, the write lock is held only for the swap.
     *
     * @throws io.scoria.sco.scrub.StaleScrubResultException if the result is stale or applied
     */
    public void applyScrubManifest(io.scoria.sco.scrub.ScrubResult result) {
        scrub.applyManifest(result, structure.readLock(), append, () -> {
            checkOpen();
            checkMutable("scrub apply");
        });
    }

    /** Applies relocations {@code [from, to)} of a result whose manifest part is applied (see {@link ScrubApply#relocate}). */
    public int relocate(io.scoria.sco.scrub.ScrubResult result, int from, int to) {
        return scrub.relocate(result, from, to, structure.readLock(), append, () -> {
            checkOpen();
            checkMutable("scrub relocation");
        });
    }

    /** Drops local copies of SCOs and TLogs a scrub made obsolete (after the grace period). */
    public void dropScrubbed(List<Long> scoIds, List<Long> tlogs) {
        scrub.dropLocal(scoIds, tlogs);
    }

    @Override
    public void deleteSnapshot(String snapshotName) {
        structure.writeLock().lock();
        try {
            checkOpen();
            checkMutable("deleteSnapshot");
            history.deleteSnapshot(snapshotName);
        } finally {
            structure.writeLock().unlock();
        }
    }

    @Override
    public void rollback(String snapshotName) {
        structure.writeLock().lock();
        try {
            checkOpen();
            checkWritable("rollback");
            history.rollback(snapshotName);
            hydration.forget();
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** Waits until all queued uploads of the node are done (tests, shutdown); false on timeout. */
    public boolean awaitUploads(java.time.Duration timeout) {
        return ctx.uploader().awaitIdle(timeout);
    }

    public long uploadedThrough() {
        return log.uploadedThrough();
    }

    @Override
    public void close() {
        structure.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (isReplica()) {
                log.crash(); // nothing of a replica is sealed or uploaded; its local state is dropped by the service
            } else {
                log.close();
            }
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** Closes without sealing (simulates a crash for tests: local files stay as they are). */
    void crash() {
        crash(null);
    }

    /** As {@link #crash()}, first showing {@code lastLook} (may be null) every mapped cluster, with no write running. */
    void crash(LbaMap.Visitor lastLook) {
        structure.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                if (lastLook != null) {
                    log.map().forEach(lastLook);
                }
                log.crash();
            }
        } finally {
            structure.writeLock().unlock();
        }
    }

    void markDeleted() {
        log.markDeleted();
    }

    /** Sealed SCOs whose files no FLUSH or upload has forced yet (tests). */
    int unforcedScos() {
        return log.unforcedScos();
    }

    boolean isClosed() {
        return closed;
    }

    /** The volume's upload queue (it outlives a close: what was sealed still goes to the backend). */
    VolumeUploads uploads() {
        return log.uploads();
    }
}
