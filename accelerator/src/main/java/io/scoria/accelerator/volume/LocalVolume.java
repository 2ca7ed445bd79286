package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.dedup.ClusterCache;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.VolumeManifest;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;

/**
 * A {@link Volume} stored as SCOs and TLogs (DESIGN.md write and read paths). Writes are split
 * into clusters (read-modify-write for partial ones), fingerprinted (XXH3-128), appended to
 * the open SCO, logged in the TLog, applied to the LBA map, offered to the cluster cache and
 * the {@link io.scoria.accelerator.WriteListener}, then acknowledged. Zero clusters are only
 * recorded in the map and the TLog.
 *
 * <p>Thread-safety: reads run in parallel with each other and with writes; writes, trims and
 * flushes are serialised by one append lock, which is never held across an fsync: FLUSH and
 * FUA capture what to force under it and force after releasing it, and a sealed SCO is forced
 * by the uploader (or by the next FLUSH, whichever comes first); snapshot, rollback, reset and close exclude all
 * I/O through a read-write lock (I/O holds it shared). Buffers as in {@link Volume}.
 */
public final class LocalVolume implements Volume {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(65536).asReadOnlyBuffer();
    /** Full clusters of one write appended to the SCO with one {@code pwrite} at most. */
    private static final int RUN = 64;

    private final VolumeContext ctx;
    private final VolumeLog log;
    private final String name;
    private final int clusterSize;
    private final long size;
    private final ClusterReader reader;
    private final ReentrantReadWriteLock structure = new ReentrantReadWriteLock();
    private final ReentrantLock append = new ReentrantLock();
    /** Serialises scrub applies of this volume (they share one side file for the manifest). */
    private final ReentrantLock scrubApply = new ReentrantLock();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ThreadLocal<Scratch> scratch;
    private final Scratch writeScratch;
    /** One zero cluster, only compared against (never read through: its position stays 0). */
    private final ByteBuffer zeroCluster;
    private volatile CacheMode cacheMode;
    private volatile boolean closed;

    private static final class Scratch {
        final LbaEntry entry = new LbaEntry();
        final ByteBuffer cluster;
        final ByteBuffer head;
        final ByteBuffer tail;
        final long[] fp = new long[2];
        final CRC32C crc = new CRC32C();
        final long[] runHi = new long[RUN];
        final long[] runLo = new long[RUN];
        final int[] runCrc = new int[RUN];

        Scratch(int clusterSize) {
            cluster = ByteBuffer.allocateDirect(clusterSize);
            head = ByteBuffer.allocateDirect(clusterSize);
            tail = ByteBuffer.allocateDirect(clusterSize);
        }
    }

    LocalVolume(VolumeContext ctx, VolumeLog log, CacheMode mode) {
        this.ctx = ctx;
        this.log = log;
        this.name = log.manifest().name();
        this.clusterSize = log.manifest().config().clusterSize();
        this.size = log.manifest().config().sizeBytes();
        this.reader = new ClusterReader(ctx, clusterSize);
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(clusterSize));
        this.writeScratch = new Scratch(clusterSize);
        this.zeroCluster = ZEROS.duplicate().limit(clusterSize);
        this.cacheMode = mode;
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

    @Override
    public boolean isReadOnly() {
        return log.manifest().template();
    }

    public VolumeManifest manifest() {
        return log.manifest();
    }

    public CacheMode cacheMode() {
        return cacheMode;
    }

    public void cacheMode(CacheMode mode) {
        this.cacheMode = java.util.Objects.requireNonNull(mode, "mode");
    }

    /** LBA map, for metadata measurements. */
    public LbaMap lbaMap() {
        return log.map();
    }

    private void checkRange(long offset, long length, String op) {
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

    private void checkOpen() {
        if (closed) {
            throw new VolumeConflictException("volume '" + name + "' is closed");
        }
    }

    private void checkWritable(String op) {
        if (log.manifest().template()) {
            throw new ReadOnlyVolumeException(op + " refused: volume '" + name + "' is a read-only template");
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        if (length > MAX_IO_BYTES) {
            throw new IllegalArgumentException("read: length " + length + " exceeds " + MAX_IO_BYTES);
        }
        checkRange(offset, length, "read");
        structure.readLock().lock();
        try {
            checkOpen();
            Scratch s = scratch.get();
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                long lba = pos / clusterSize;
                int in = (int) (pos % clusterSize);
                int n = (int) Math.min(clusterSize - in, end - pos);
                if (in == 0 && n == clusterSize) {
                    readCluster(lba, s, dst);
                } else {
                    s.cluster.clear();
                    readCluster(lba, s, s.cluster);
                    dst.put(s.cluster.position(in).limit(in + n));
                }
                pos += n;
            }
        } finally {
            structure.readLock().unlock();
        }
    }

    private void readCluster(long lba, Scratch s, ByteBuffer dst) {
        log.map().get(lba, s.entry);
        if (s.entry.location == ClusterLocation.ZERO) {
            dst.put(ZEROS.duplicate().limit(clusterSize));
            return;
        }
        int limit = dst.limit();
        dst.limit(dst.position() + clusterSize);
        try {
            reader.read(log.chain(), s.entry, cacheMode, dst);
        } finally {
            dst.limit(limit);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        int length = src.remaining();
        if (length > MAX_IO_BYTES) {
            throw new IllegalArgumentException("write: length " + length + " exceeds " + MAX_IO_BYTES);
        }
        checkRange(offset, length, "write");
        mutate(offset, length, src, fua, "write");
    }

    @Override
    public void trim(long offset, long length) {
        checkRange(offset, length, "trim");
        mutate(offset, length, null, false, "trim");
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        checkRange(offset, length, "writeZeroes");
        mutate(offset, length, null, fua, "writeZeroes");
    }

    /** Writes {@code src} (null: zeros) over the range. */
    private void mutate(long offset, long length, ByteBuffer src, boolean fua, String op) {
        inFlight.incrementAndGet();
        structure.readLock().lock();
        try {
            checkOpen();
            checkWritable(op);
            VolumeLog.PendingFlush durable = null;
            append.lock();
            try {
                Scratch s = writeScratch;
                long end = offset + length;
                long firstLba = offset / clusterSize;
                long lastLba = length == 0 ? firstLba : (end - 1) / clusterSize;
                // read the partial head and tail clusters first, so a failing read changes nothing
                if (length > 0 && (offset % clusterSize != 0 || (firstLba == lastLba && end % clusterSize != 0))) {
                    readCluster(firstLba, scratch.get(), s.head.clear());
                }
                if (lastLba != firstLba && end % clusterSize != 0) {
                    readCluster(lastLba, scratch.get(), s.tail.clear());
                }
                long pos = offset;
                int srcPos = src == null ? 0 : src.position();
                // one view of src per multi-cluster write (not per cluster) for batched appends
                ByteBuffer view = src != null && length >= 2L * clusterSize ? src.duplicate() : null;
                while (pos < end) {
                    long lba = pos / clusterSize;
                    int in = (int) (pos % clusterSize);
                    int n = (int) Math.min(clusterSize - in, end - pos);
                    if (n == clusterSize && src == null) {
                        writeZero(lba, s);
                    } else if (n == clusterSize && view != null) {
                        int k = writeRun(lba, view, srcPos + (int) (pos - offset), (int) Math.min(RUN, (end - pos) / clusterSize), s);
                        if (k == 0) {
                            writeZero(lba, s);
                        } else {
                            pos += (long) k * clusterSize;
                            continue;
                        }
                    } else {
                        ByteBuffer c = s.cluster.clear();
                        if (n != clusterSize) {
                            c.put((lba == firstLba ? s.head : s.tail).clear());
                            c.clear().position(in);
                        }
                        if (src == null) {
                            c.put(ZEROS.duplicate().limit(n));
                        } else {
                            int from = srcPos + (int) (pos - offset);
                            // absolute bulk copy: neither src's position nor a view of it
                            c.put(c.position(), src, from, n).position(c.position() + n);
                        }
                        c.clear();
                        writeCluster(lba, c, s);
                    }
                    pos += n;
                }
                if (fua) {
                    durable = log.beginFlush();
                }
            } finally {
                append.unlock();
            }
            if (durable != null) {
                durable.force();
            }
        } finally {
            structure.readLock().unlock();
            inFlight.decrementAndGet();
        }
    }

    /**
     * Writes the leading non-zero full clusters (at most {@code max}) of {@code view} from
     * {@code from} with one SCO append; returns how many (0: the first cluster is zero).
     */
    private int writeRun(long lba, ByteBuffer view, int from, int max, Scratch s) {
        int k = 0;
        while (k < max) {
            int at = from + k * clusterSize;
            view.limit(at + clusterSize).position(at);
            if (view.mismatch(zeroCluster) == -1) {
                break;
            }
            ctx.config().fingerprinter().fingerprint(view, s.fp);
            s.runHi[k] = s.fp[0];
            s.runLo[k] = s.fp[1];
            s.crc.reset();
            s.crc.update(view);
            s.runCrc[k] = (int) s.crc.getValue();
            k++;
        }
        if (k == 0) {
            return 0;
        }
        view.limit(from + k * clusterSize).position(from);
        log.appendRun(lba, view, k, s.runHi, s.runLo, s.runCrc);
        if (cacheMode == CacheMode.CACHE_ON_WRITE && reader.cacheUsable(cacheMode)) {
            ClusterCache cache = ctx.clusterCache();
            for (int i = 0; i < k; i++) {
                view.limit(from + (i + 1) * clusterSize).position(from + i * clusterSize);
                cache.insert(s.runHi[i], s.runLo[i], s.runCrc[i], view);
            }
        }
        return k;
    }

    private void writeZero(long lba, Scratch s) {
        log.map().get(lba, s.entry);
        if (s.entry.location == ClusterLocation.ZERO) {
            return;
        }
        log.append(lba, ZEROS.duplicate().limit(clusterSize), true, 0, 0, 0);
    }

    private void writeCluster(long lba, ByteBuffer c, Scratch s) {
        if (c.mismatch(zeroCluster) == -1) {
            writeZero(lba, s);
            return;
        }
        ctx.config().fingerprinter().fingerprint(c, s.fp);
        s.crc.reset();
        int start = c.position();
        s.crc.update(c);
        c.position(start);
        int crc = (int) s.crc.getValue();
        log.append(lba, c, false, s.fp[0], s.fp[1], crc);
        if (cacheMode == CacheMode.CACHE_ON_WRITE && reader.cacheUsable(cacheMode)) {
            ClusterCache cache = ctx.clusterCache();
            cache.insert(s.fp[0], s.fp[1], crc, c);
        }
    }

    @Override
    public void flush() {
        structure.readLock().lock();
        try {
            checkOpen();
            VolumeLog.PendingFlush durable;
            append.lock();
            try {
                durable = log.beginFlush();
            } finally {
                append.unlock();
            }
            durable.force();
        } finally {
            structure.readLock().unlock();
        }
    }

    /** Seals the open SCO and TLog so that everything written so far is queued for upload. */
    public void sync() {
        structure.writeLock().lock();
        try {
            checkOpen();
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

    /** Attempts to swap a scrub result's manifest outside the write lock before doing it under the lock. */
    private static final int SCRUB_MANIFEST_ATTEMPTS = 4;

    /**
     * Applies the manifest part of a scrub result: swaps the TLogs of the scrubbed snapshots
     * atomically and queues the manifest's publication. The result is checked and the new
     * manifest written and forced without the write lock; under it, only a rename (and, if a
     * TLog roll changed the manifest meanwhile, the attempt is repeated; after a few, it is done
     * under the lock). Reads of LBAs not yet relocated keep using the old locations, which stay
     * readable until the obsolete objects are deleted after the grace period. Then the caller
     * applies the relocations with {@link #relocate}, all of them before the clean-up. If the
     * process dies in between, applying the result again is refused as already applied and
     * {@link #relocate} finishes it (the applier does); a restart after a crash rebuilds the map
     * from the new TLogs anyway.
     *
     * @throws io.scoria.sco.scrub.StaleScrubResultException if the result is stale or applied
     */
    public void applyScrubManifest(io.scoria.sco.scrub.ScrubResult result) {
        scrubApply.lock();
        try {
            structure.readLock().lock();
            try {
                checkOpen();
                for (int attempt = 1; ; attempt++) {
                    VolumeLog.ScrubManifest prepared = attempt < SCRUB_MANIFEST_ATTEMPTS
                            ? log.prepareScrubManifest(result) : null;
                    append.lock();
                    try {
                        if (prepared == null) {
                            log.applyScrubManifest(result);
                            return;
                        }
                        if (log.commitScrubManifest(prepared)) {
                            return;
                        }
                    } finally {
                        append.unlock();
                    }
                }
            } finally {
                structure.readLock().unlock();
            }
        } finally {
            scrubApply.unlock();
        }
    }

    /**
     * Applies relocations {@code [from, to)} of a result whose manifest part is applied: each LBA
     * that still points at its old location moves to the new one (a write since the scrub wins).
     * The map is read first without the write lock; under it, only the LBAs found there are
     * checked again and moved, so one call holds the write lock for about a microsecond per
     * relocation. Idempotent; pacing between calls is the caller's (see
     * {@link io.scoria.accelerator.scrub.RelocationPacing}).
     *
     * @return the number of LBAs moved
     */
    public int relocate(io.scoria.sco.scrub.ScrubResult result, int from, int to) {
        if (from < 0 || to > result.relocationCount() || from > to) {
            throw new IllegalArgumentException("relocations [" + from + ", " + to + ") are not within the result's "
                    + result.relocationCount());
        }
        structure.readLock().lock();
        try {
            checkOpen();
            int[] candidates = log.relocationCandidates(result, from, to);
            if (candidates.length == 0) {
                return 0;
            }
            append.lock();
            try {
                return log.relocate(result, candidates);
            } finally {
                append.unlock();
            }
        } finally {
            structure.readLock().unlock();
        }
    }

    /** Drops local copies of SCOs and TLogs a scrub made obsolete (after the grace period). */
    public void dropScrubbed(List<Long> scoIds, List<Long> tlogs) {
        log.dropLocal(scoIds, tlogs);
    }

    @Override
    public void deleteSnapshot(String snapshotName) {
        structure.writeLock().lock();
        try {
            checkOpen();
            requireSnapshot(snapshotName);
            List<String> deps = dependents(List.of(snapshotName));
            if (!deps.isEmpty()) {
                throw new VolumeConflictException("snapshot '" + snapshotName + "' of volume '" + name + "' has clones: " + deps);
            }
            log.deleteSnapshot(snapshotName);
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
            requireSnapshot(snapshotName);
            List<String> later = new ArrayList<>();
            boolean after = false;
            for (VolumeManifest.Snapshot s : log.manifest().snapshots()) {
                if (after) {
                    later.add(s.name());
                }
                after |= s.name().equals(snapshotName);
            }
            List<String> deps = dependents(later);
            if (!deps.isEmpty()) {
                throw new VolumeConflictException("cannot roll volume '" + name + "' back to '" + snapshotName
                        + "': later snapshots have clones: " + deps);
            }
            log.rollback(snapshotName);
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** Discards the clone's own data and returns it to its parent's snapshot. */
    void resetToParent() {
        structure.writeLock().lock();
        try {
            checkOpen();
            if (log.manifest().parent() == null) {
                throw new VolumeConflictException("volume '" + name + "' is not a clone");
            }
            List<String> deps = dependents(null);
            if (!deps.isEmpty()) {
                throw new VolumeConflictException("cannot reset clone '" + name + "': it has clones: " + deps);
            }
            log.reset();
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** Makes the volume a read-only template, taking a snapshot if writes follow the last one. */
    void makeTemplate() {
        if (inFlight.get() > 0 || !structure.writeLock().tryLock()) {
            throw new VolumeConflictException("volume '" + name + "' has writes in flight; retry makeTemplate when idle");
        }
        try {
            checkOpen();
            if (inFlight.get() > 0) {
                throw new VolumeConflictException("volume '" + name + "' has writes in flight; retry makeTemplate when idle");
            }
            log.makeTemplate();
        } finally {
            structure.writeLock().unlock();
        }
    }

    private void requireSnapshot(String snapshotName) {
        if (snapshotName == null || log.manifest().snapshot(snapshotName) == null) {
            throw new VolumeNotFoundException("volume '" + name + "' has no snapshot '" + snapshotName + "'");
        }
    }

    /** Clones depending on the given snapshots (null: on any). */
    private List<String> dependents(List<String> snapshots) {
        List<String> out = new ArrayList<>();
        for (VolumeManifest c : ctx.clonesOf(log.manifest().config().namespace())) {
            if (snapshots == null || snapshots.contains(c.parent().snapshot())) {
                out.add(c.name() + "@" + c.parent().snapshot());
            }
        }
        return out;
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
            log.close();
        } finally {
            structure.writeLock().unlock();
        }
    }

    /** Closes without sealing (simulates a crash for tests: local files stay as they are). */
    void crash() {
        structure.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
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
}
