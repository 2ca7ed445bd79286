package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.backend.ObjectInfo;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.Durable;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.LocalScoCache;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.manifest.ManifestStore;
import io.scoria.sco.scrub.ScrubResult;
import io.scoria.sco.scrub.ScrubbedTlogs;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The write-side state of one volume: LBA map, open SCO, open TLog, local manifest copy and the
 * upload side ({@link VolumeUploads}: which TLogs are on the backend, which manifest generation
 * is published, which sealed SCOs a FLUSH must force).
 * Opening it restarts from local flash when the volume directory exists (replaying TLogs into
 * the map after an unclean stop), else rebuilds from the backend manifest and TLogs alone.
 *
 * <p>Not thread-safe: {@link LocalVolume} serialises every mutating call; upload tasks run on
 * the uploader's thread and synchronise on their {@link VolumeUploads}.
 */
final class VolumeLog {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeLog.class);
    private static final String MANIFEST = "volume.json";
    /** A scrub-applied manifest forced before it replaces {@link #MANIFEST}; never read. */
    private static final String SCRUB_MANIFEST = "volume.json.scrub";
    private static final String CLEAN = "clean";

    private final VolumeContext ctx;
    private final String ns;
    private final Path dir;
    private final int clusterSize;
    private final int scoClusters;
    private final int tlogCapacity;
    private volatile VolumeManifest manifest;
    private volatile List<String> chain;
    private final LbaMap map;
    private TLogWriter tlog;
    private OpenSco sco;
    private long scoReserved;
    /** The empty file of the SCO expected next ({@link #preparedId}), being created off the append path. */
    private CompletableFuture<Path> prepared;
    private long preparedId;
    private int scosInTlog;
    private volatile long epoch;
    private volatile boolean deleted;
    private final VolumeUploads uploads;

    private VolumeLog(VolumeContext ctx, VolumeManifest m, LbaMap map) {
        this.ctx = ctx;
        this.ns = m.config().namespace();
        this.dir = ctx.volumeDir(ns);
        this.clusterSize = m.config().clusterSize();
        this.scoClusters = m.config().scoSize() / clusterSize;
        this.tlogCapacity = ctx.config().scosPerTlog() * (scoClusters + 1) + 64;
        this.manifest = m;
        this.map = map;
        this.uploads = new VolumeUploads(ctx, this, ns, dir, clusterSize);
    }

    /** Opens the volume of {@code namespace}: restart from local flash, or rebuild from the backend. */
    static VolumeLog open(VolumeContext ctx, String namespace) {
        Path dir = ctx.volumeDir(namespace);
        var local = ManifestStore.readLocal(dir.resolve(MANIFEST));
        return local.isPresent() ? restart(ctx, local.get()) : rebuild(ctx, namespace, null);
    }

    /** Opens a namespace this node just created with manifest {@code fresh}: no backend reads at all. */
    static VolumeLog openNew(VolumeContext ctx, VolumeManifest fresh) {
        return rebuild(ctx, fresh.config().namespace(), fresh);
    }

    private static LbaMap openMap(Path dir, VolumeManifest m, boolean fresh) throws IOException {
        // a map of an older format is never read: it is deleted and the map rebuilt from the TLogs
        Files.deleteIfExists(dir.resolve("lba.map"));
        Files.deleteIfExists(dir.resolve("lba-v2.map"));
        Path f = dir.resolve(LbaMap.FILE_NAME);
        if (fresh) {
            Files.deleteIfExists(f);
        }
        return LbaMap.open(f, m.config().clusters(), Math.min(m.config().clusters(), 1L << 20));
    }

    private static VolumeLog rebuild(VolumeContext ctx, String namespace, VolumeManifest fresh) {
        VolumeManifest m = fresh != null ? fresh : ctx.manifests().readLatest(namespace)
                .orElseThrow(() -> new VolumeNotFoundException("no volume manifest in namespace '" + namespace + "' on "
                        + ctx.store().name()));
        Path dir = ctx.volumeDir(namespace);
        try {
            Files.createDirectories(dir.resolve("tlogs"));
            long nextSco = m.nextScoNumber();
            long nextTlog = m.nextTlogNumber();
            if (fresh == null) {
                for (ObjectInfo o : ctx.store().listAll(namespace, NamespaceLayout.SCO_PREFIX)) {
                    nextSco = Math.max(nextSco, NamespaceLayout.scoNumber(o.key()) + 1);
                }
                for (ObjectInfo o : ctx.store().listAll(namespace, NamespaceLayout.TLOG_PREFIX)) {
                    nextTlog = Math.max(nextTlog, NamespaceLayout.tlogNumber(o.key()) + 1);
                }
            }
            nextSco = Math.max(nextSco, localMaxSco(ctx, namespace) + 1);
            m = m.withCounters(nextSco, nextTlog, m.nextSnapshotId());
            VolumeLog v = new VolumeLog(ctx, m, openMap(dir, m, true));
            try {
                v.uploads.restore(m.lastRouterTlog(), m.generation());
                v.chain = History.chain(ctx, m);
                History.replay(ctx, v.map, m, 0, null);
                v.uploads.writeState();
                v.writeManifest(m);
                v.tlog = TLogWriter.create(History.tlogFile(dir, m.nextTlogNumber()), m.nextTlogNumber(), v.tlogCapacity,
                        m.config().clusterSize());
                return v;
            } catch (RuntimeException e) {
                v.map.close();
                // the volume directory is incomplete: remove the manifest so the next open rebuilds again
                Files.deleteIfExists(dir.resolve(MANIFEST));
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rebuild volume in " + dir, e);
        }
    }

    /** Highest SCO number with a local file (0 if none): a new SCO must not reuse it. */
    private static long localMaxSco(VolumeContext ctx, String namespace) {
        return ctx.scoCache().localScoIds(namespace).stream().mapToLong(ClusterLocation::scoNumber).max().orElse(0);
    }

    /**
     * Deletes local SCO files that were opened after the local manifest was written but that no
     * TLog entry references (the process died before their first append was logged): nothing
     * acknowledged is in them, and they would otherwise hold SCO cache budget for ever.
     */
    private static void dropUnreferencedScos(VolumeContext ctx, String namespace, long firstUnlisted, Set<Long> referenced) {
        for (long id : ctx.scoCache().localScoIds(namespace)) {
            if (ClusterLocation.version(id) == 0 && ClusterLocation.scoNumber(id) >= firstUnlisted && !referenced.contains(id)) {
                LOG.info("volume {}: deleting local SCO {} that no TLog references (left by a crash)", namespace,
                        OpenSco.describe(id));
                ctx.scoCache().drop(namespace, id);
            }
        }
    }

    /** Restart (a): local manifest, local TLogs, local SCOs; the backend is not read for data. */
    private static VolumeLog restart(VolumeContext ctx, VolumeManifest m) {
        Path dir = ctx.volumeDir(m.config().namespace());
        try {
            long[] state = VolumeUploads.readState(dir); // first: a damaged file must not cost the clean marker
            boolean clean = Files.deleteIfExists(dir.resolve(CLEAN));
            long n = m.nextTlogNumber();
            Path cur = History.tlogFile(dir, n);
            Map<Long, Integer> unsealed = new HashMap<>();
            Set<Long> referenced = new HashSet<>();
            long[] maxSco = {0};
            TLogReader.Result r = null;
            if (!clean) {
                TLogDataCheck.afterUncleanStop(ctx, m, dir, state[0], cur);
            }
            if (Files.exists(cur)) {
                r = TLogReader.replayFile(cur, new TLogVisitor() {
                    @Override
                    public void cluster(long lba, long loc, long hi, long lo, int crc) {
                        if (loc != 0) {
                            long id = ClusterLocation.scoId(loc);
                            unsealed.merge(id, ClusterLocation.offset(loc) + 1, Math::max);
                            referenced.add(id);
                            maxSco[0] = Math.max(maxSco[0], ClusterLocation.scoNumber(loc));
                        }
                    }

                    @Override
                    public void scoSealed(long scoId, int crc, int clusters) {
                        unsealed.remove(scoId);
                        referenced.add(scoId);
                        maxSco[0] = Math.max(maxSco[0], ClusterLocation.scoNumber(scoId));
                    }
                });
            }
            dropUnreferencedScos(ctx, m.config().namespace(), m.nextScoNumber(), referenced);
            long nextSco = Math.max(Math.max(m.nextScoNumber(), maxSco[0] + 1), localMaxSco(ctx, m.config().namespace()) + 1);
            m = m.withCounters(nextSco, m.nextTlogNumber(), m.nextSnapshotId());
            if (r != null && r.sealed()) {
                m = m.withTlog(n).withCounters(nextSco, n + 1, m.nextSnapshotId());
            }
            boolean fresh = !clean || !Files.exists(dir.resolve(LbaMap.FILE_NAME));
            VolumeLog v = new VolumeLog(ctx, m, openMap(dir, m, fresh));
            try {
                return v.finishRestart(m, fresh, r, cur, n, unsealed, state);
            } catch (RuntimeException e) {
                v.map.close();
                if (v.tlog != null) {
                    v.tlog.close();
                }
                if (v.sco != null) {
                    v.sco.close();
                }
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart volume in " + dir, e);
        }
    }

    private VolumeLog finishRestart(VolumeManifest m, boolean fresh, TLogReader.Result r, Path cur, long n,
                                    Map<Long, Integer> unsealed, long[] state) throws IOException {
        {
            VolumeLog v = this;
            Path dir = this.dir;
            VolumeContext ctx = this.ctx;
            v.uploads.restore(state[0], state[1]);
            v.chain = History.chain(ctx, m);
            if (fresh) {
                History.replay(ctx, v.map, m, 0, null);
            }
            if (r != null && !r.sealed() && r.records() == 0) {
                Files.delete(cur);
                r = null;
            }
            if (r != null && !r.sealed()) {
                if (fresh) {
                    TLogReader.replayFile(cur, (lba, loc, hi, lo, crc) -> v.map.put(lba, loc, hi, lo, crc));
                }
                v.tlog = TLogWriter.reopen(cur, n, v.tlogCapacity);
                if (unsealed.size() > 1) {
                    throw new VolumeException("TLog " + cur + " references " + unsealed.size() + " unsealed SCOs");
                }
                for (Map.Entry<Long, Integer> e : unsealed.entrySet()) {
                    v.sco = OpenSco.recover(ctx.scoCache().file(v.ns, e.getKey()), e.getKey(), v.clusterSize, v.scoClusters, e.getValue());
                    v.scoReserved = 0;
                    if (v.sco.isFull()) {
                        v.sealSco();
                    }
                }
            } else {
                v.tlog = TLogWriter.create(History.tlogFile(dir, m.nextTlogNumber()), m.nextTlogNumber(), v.tlogCapacity, v.clusterSize);
            }
            v.writeManifest(m);
            v.uploads.enqueuePending();
            if (r != null && !r.sealed()) {
                v.uploads.enqueueSealedScos(cur);
            }
            v.uploads.enqueueMarkUploaded();
            return v;
        }
    }

    VolumeManifest manifest() {
        return manifest;
    }

    LbaMap map() {
        return map;
    }

    List<String> chain() {
        return chain;
    }

    long uploadedThrough() {
        return uploads.uploadedThrough();
    }

    /** Changes whenever a rollback or reset discards history: upload tasks queued before it are dropped. */
    long epoch() {
        return epoch;
    }

    boolean isDeleted() {
        return deleted;
    }

    /** Appends one cluster (or a zero cluster) to SCO, TLog and map. */
    void append(long lba, ByteBuffer cluster, boolean zero, long fpHi, long fpLo, int crc) {
        if (tlog.remaining() < 2) {
            roll(null);
        }
        String volume = manifest.name();
        if (zero) {
            tlog.cluster(lba, ClusterLocation.ZERO, 0, 0, 0);
            map.put(lba, ClusterLocation.ZERO, 0, 0, 0);
            ctx.config().listener().onWrite(volume, lba, ClusterLocation.ZERO, cluster);
            return;
        }
        if (sco == null) {
            openSco();
        }
        int off = sco.append(cluster);
        long loc = ClusterLocation.of(ClusterLocation.scoNumber(sco.scoId()), 0, 0, off);
        tlog.cluster(lba, loc, fpHi, fpLo, crc);
        map.put(lba, loc, fpHi, fpLo, crc);
        ctx.config().listener().onWrite(volume, lba, loc, cluster);
        if (sco.isFull()) {
            sealSco();
            if (scosInTlog >= ctx.config().scosPerTlog()) {
                roll(null);
            }
        }
    }

    /**
     * Appends {@code count} non-zero clusters for LBAs {@code lba..lba+count-1}, read from
     * {@code run} (its position onwards; position and limit restored), with one {@code pwrite}
     * per SCO they land in; fingerprints and CRCs are given per cluster. Same effects and order
     * as {@code count} calls of {@link #append}: SCO data, then TLog record, map and listener.
     */
    void appendRun(long lba, ByteBuffer run, int count, long[] fpHi, long[] fpLo, int[] crc) {
        String volume = manifest.name();
        int base = run.position();
        int limit = run.limit();
        try {
            int done = 0;
            while (done < count) {
                if (tlog.remaining() < 2) {
                    roll(null);
                }
                if (sco == null) {
                    openSco();
                }
                int k = Math.min(count - done, Math.min(sco.free(), tlog.remaining() - 1));
                run.limit(limit).position(base + done * clusterSize);
                int off = sco.append(run, k);
                long scoNumber = ClusterLocation.scoNumber(sco.scoId());
                for (int i = done; i < done + k; i++) {
                    long loc = ClusterLocation.of(scoNumber, 0, 0, off + i - done);
                    tlog.cluster(lba + i, loc, fpHi[i], fpLo[i], crc[i]);
                    map.put(lba + i, loc, fpHi[i], fpLo[i], crc[i]);
                    run.limit(base + (i + 1) * clusterSize).position(base + i * clusterSize);
                    ctx.config().listener().onWrite(volume, lba + i, loc, run);
                    run.limit(limit);
                }
                done += k;
                if (sco.isFull()) {
                    sealSco();
                    if (scosInTlog >= ctx.config().scosPerTlog()) {
                        roll(null);
                    }
                }
            }
        } finally {
            run.limit(limit).position(base);
        }
    }

    private void openSco() {
        long number = manifest.nextScoNumber();
        long id = ClusterLocation.of(number, 0, 0, 0);
        try {
            ctx.scoCache().reserve((long) scoClusters * clusterSize);
        } catch (InterruptedIOException e) {
            throw new VolumeException("interrupted while waiting for local SCO cache space for volume '" + manifest.name() + "'", e);
        }
        scoReserved = (long) scoClusters * clusterSize;
        manifest = manifest.withCounters(number + 1, manifest.nextTlogNumber(), manifest.nextSnapshotId());
        Path f = ctx.scoCache().file(ns, id);
        sco = takePrepared(id) ? OpenSco.openPrepared(f, id, clusterSize, scoClusters) : OpenSco.create(f, id, clusterSize, scoClusters);
        if (number < ClusterLocation.MAX_SCO_NUMBER) {
            preparedId = ClusterLocation.of(number + 1, 0, 0, 0);
            prepared = ctx.scoCache().prepare(ns, preparedId);
        }
    }

    /**
     * True if the file of SCO {@code id} was prepared and exists (waiting for it if need be: it
     * was requested a whole SCO ago); a preparation for another SCO (the counters moved) is
     * discarded.
     */
    private boolean takePrepared(long id) {
        CompletableFuture<Path> p = prepared;
        if (p == null) {
            return false;
        }
        prepared = null;
        if (preparedId != id) {
            LocalScoCache.discardPrepared(p);
            return false;
        }
        try {
            p.join();
            return true;
        } catch (RuntimeException e) {
            LOG.warn("volume {}: SCO file {} was not prepared ({}); creating it on the write path", ns,
                    OpenSco.describe(id), e.toString());
            return false;
        }
    }

    /** Deletes the file prepared for the next SCO, if any (the volume closes or is deleted). */
    private void discardPrepared() {
        CompletableFuture<Path> p = prepared;
        prepared = null;
        if (p != null) {
            LocalScoCache.discardPrepared(p);
        }
    }

    private void sealSco() {
        if (sco == null) {
            return;
        }
        OpenSco s = sco;
        sco = null;
        if (s.clusters() == 0) {
            s.close();
            deleteQuietly(s.path());
            ctx.scoCache().release(scoReserved);
            return;
        }
        int crc = s.seal();
        tlog.scoSealed(s.scoId(), crc, s.clusters());
        ctx.scoCache().sealed(ns, s.scoId(), scoReserved, s.byteSize());
        s.close();
        scosInTlog++;
        uploads.sealed(s.scoId(), crc, s.clusters());
    }

    /**
     * Starts a FLUSH (or FUA): called under the append lock, it captures what must be forced so
     * that every write appended so far is durable (sealed SCOs not yet forced, the open SCO, the
     * TLog) and tells the listener. The caller releases the append lock and then calls
     * {@link PendingFlush#force()}, still holding the structure lock (so no file is discarded
     * under it); writers append meanwhile and never wait for the fsync.
     */
    PendingFlush beginFlush() {
        long[] sealed = uploads.unforced();
        ctx.config().listener().onFlush(manifest.name());
        return new PendingFlush(sealed, sco, tlog);
    }

    /** The files one FLUSH must force; {@link #force()} runs without the append lock. */
    final class PendingFlush {
        private final long[] sealed;
        private final OpenSco open;
        private final TLogWriter log;

        private PendingFlush(long[] sealed, OpenSco open, TLogWriter log) {
            this.sealed = sealed;
            this.open = open;
            this.log = log;
        }

        /**
         * Forces SCO data before the TLog that references it (a restart refuses a TLog naming
         * clusters its SCO file lacks). A sealed SCO whose file is gone was uploaded and
         * evicted, or discarded by a scrub: nothing of it needs to be forced.
         */
        void force() {
            for (long id : sealed) {
                if (uploads.isUnforced(id)) {
                    forceSealed(id);
                }
            }
            if (open != null) {
                open.force();
            }
            log.force();
        }
    }

    /** Sealed SCOs not yet forced (tests). */
    int unforcedScos() {
        return uploads.unforcedCount();
    }

    private void forceSealed(long scoId) {
        Path f = ctx.scoCache().file(ns, scoId);
        try {
            OpenSco.forceFile(f);
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
                throw e;
            }
        }
        uploads.forced(scoId);
    }

    /** Seals the open SCO and TLog (with a snapshot marker when {@code snapshot} is set). */
    VolumeManifest.Snapshot roll(String snapshot) {
        if (snapshot == null && sco == null && tlog.records() <= 1) {
            return null;
        }
        sealSco();
        long snapId = manifest.nextSnapshotId();
        if (snapshot != null) {
            tlog.snapshot(snapId);
        }
        tlog.seal();
        tlog.close();
        long n = tlog.number();
        VolumeManifest m = manifest.withTlog(n).withCounters(manifest.nextScoNumber(), n + 1,
                snapshot == null ? snapId : snapId + 1);
        long now = System.currentTimeMillis();
        if (snapshot != null) {
            m = m.withSnapshot(snapshot, snapId, now);
        }
        writeManifest(m);
        uploads.enqueueTlog(n);
        tlog = TLogWriter.create(History.tlogFile(dir, n + 1), n + 1, tlogCapacity, clusterSize);
        scosInTlog = 0;
        return snapshot == null ? null : m.snapshot(snapshot);
    }

    void deleteSnapshot(String name) {
        List<VolumeManifest.Snapshot> snaps = new ArrayList<>(manifest.snapshots());
        List<Long> current = new ArrayList<>(manifest.currentTlogs());
        for (int i = 0; i < snaps.size(); i++) {
            VolumeManifest.Snapshot s = snaps.get(i);
            if (s.name().equals(name)) {
                snaps.remove(i);
                if (i < snaps.size()) {
                    VolumeManifest.Snapshot next = snaps.get(i);
                    List<Long> merged = new ArrayList<>(s.tlogs());
                    merged.addAll(next.tlogs());
                    snaps.set(i, new VolumeManifest.Snapshot(next.name(), next.id(), next.createdMillis(), merged, false));
                } else {
                    current.addAll(0, s.tlogs());
                }
                break;
            }
        }
        writeManifest(manifest.withHistory(snaps, current));
        uploads.enqueuePublish();
    }

    /**
     * A scrub result applied to the manifest {@code base}, written and forced to
     * {@code volume.json.scrub} but not yet in effect; see {@link #prepareScrubManifest}.
     */
    record ScrubManifest(VolumeManifest base, VolumeManifest next) {
    }

    /**
     * First half of swapping the manifest's TLogs for a scrub result's, done without the write
     * lock: checks the result against the current manifest ({@link ScrubResult#applyTo} refuses
     * a stale or already applied result) and writes and forces the swapped manifest to a side
     * file. The side file is never read: a crash before {@link #commitScrubManifest} leaves the
     * old manifest in force and the result pending. The caller holds the structure lock shared
     * and serialises scrub applies of this volume.
     */
    ScrubManifest prepareScrubManifest(ScrubResult result) {
        VolumeManifest base = manifest;
        VolumeManifest next = result.applyTo(base);
        ManifestStore.writeLocal(dir.resolve(SCRUB_MANIFEST), next);
        return new ScrubManifest(base, next);
    }

    /**
     * Second half, under the write lock: if the manifest's history is as it was when prepared
     * (a TLog roll changes it; opening an SCO only advances the counters, which the local file
     * may lag behind anyway: a restart recomputes them from the TLogs and SCO files), renames
     * the forced side file over the local manifest (atomic; no fsync under the lock), makes it
     * current with the current counters and queues its publication.
     *
     * @return false if the history changed meanwhile: prepare again
     */
    boolean commitScrubManifest(ScrubManifest prepared) {
        VolumeManifest now = manifest;
        if (now != prepared.base() && !now.equals(prepared.base().withCounters(now.nextScoNumber(), now.nextTlogNumber(),
                now.nextSnapshotId()))) {
            return false;
        }
        try {
            Files.move(dir.resolve(SCRUB_MANIFEST), dir.resolve(MANIFEST), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + dir.resolve(SCRUB_MANIFEST) + " to " + MANIFEST, e);
        }
        VolumeManifest next = prepared.next().withCounters(now.nextScoNumber(), now.nextTlogNumber(), now.nextSnapshotId());
        manifest = next;
        ctx.manifestChanged(next);
        uploads.enqueuePublish();
        return true;
    }

    /**
     * Swaps the manifest's TLogs for a scrub result's entirely under the write lock (the
     * fallback when {@link #commitScrubManifest} keeps finding the history changed) and
     * publishes it.
     */
    void applyScrubManifest(ScrubResult result) {
        LOG.info("volume {}: scrub result {} applied to the manifest under the write lock (TLogs kept rolling"
                + " while it was prepared)", ns, result.id());
        writeManifest(result.applyTo(manifest));
        uploads.enqueuePublish();
    }

    /**
     * Of the result's relocations {@code [from, to)}, the indexes whose LBA points at the old
     * location now. Reads the map only, so it runs without the write lock; {@link #relocate}
     * checks again under it.
     */
    int[] relocationCandidates(ScrubResult result, int from, int to) {
        LbaEntry e = new LbaEntry();
        int[] found = new int[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            map.get(result.relocationLba(i), e);
            if (e.location == result.relocationOld(i)) {
                found[n++] = i;
            }
        }
        return java.util.Arrays.copyOf(found, n);
    }

    /**
     * Moves the LBAs of the given relocations that still point at their old location to the
     * new one; an LBA written since the scrub keeps its newer location. Idempotent. The caller
     * holds the write lock.
     *
     * @return the number of LBAs moved
     */
    int relocate(ScrubResult result, int[] indexes) {
        LbaEntry e = new LbaEntry();
        int moved = 0;
        for (int i : indexes) {
            long lba = result.relocationLba(i);
            map.get(lba, e);
            if (e.location == result.relocationOld(i)) {
                map.put(lba, result.relocationNew(i), e.fpHi, e.fpLo, e.crc);
                moved++;
            }
        }
        return moved;
    }

    /** Forgets local copies of SCOs and TLogs that a scrub made obsolete. */
    void dropLocal(List<Long> scoIds, List<Long> tlogs) {
        for (long scoId : scoIds) {
            ctx.scoCache().drop(ns, scoId);
        }
        for (long t : tlogs) {
            deleteQuietly(History.tlogFile(dir, t));
        }
    }

    /** Drops every TLog and SCO after {@code snapshot} and rebuilds the map from the TLogs before it. */
    void rollback(String snapshot) {
        List<Long> keep = manifest.tlogsThrough(snapshot);
        List<VolumeManifest.Snapshot> snaps = new ArrayList<>();
        for (VolumeManifest.Snapshot s : manifest.snapshots()) {
            snaps.add(s);
            if (s.name().equals(snapshot)) {
                break;
            }
        }
        VolumeManifest next = manifest.withHistory(snaps, List.of());
        List<History.Source> sources = History.collect(ctx, next, 0, null);
        discard(keep);
        rebuildFrom(next, sources);
    }

    /** Discards all own data of a clone. */
    void reset() {
        VolumeManifest next = manifest.withHistory(List.of(), List.of());
        List<History.Source> sources = History.collect(ctx, next, 0, null);
        discard(List.of());
        rebuildFrom(next, sources);
    }

    void makeTemplate() {
        if (sco != null || tlog.records() > 1 || !manifest.currentTlogs().isEmpty() || manifest.snapshots().isEmpty()) {
            roll("template-" + manifest.nextSnapshotId());
        }
        writeManifest(manifest.withTemplate(true));
        uploads.enqueuePublish();
    }

    private void discard(List<Long> keep) {
        epoch++;
        List<String> garbage = new ArrayList<>();
        if (sco != null) {
            sco.close();
            deleteQuietly(sco.path());
            ctx.scoCache().release(scoReserved);
            sco = null;
        }
        tlog.close();
        List<Long> drop = new ArrayList<>(manifest.allTlogs());
        drop.removeAll(keep);
        drop.add(tlog.number());
        TLogVisitor dropSealed = TLogVisitor.sealedScos((scoId, crc, clusters) -> {
            ctx.scoCache().drop(ns, scoId);
            garbage.add(NamespaceLayout.scoKey(scoId));
        });
        for (long t : drop) {
            Path f = History.tlogFile(dir, t);
            if (!Files.exists(f) && ScrubbedTlogs.isScrubOutput(t)) {
                TLogReader.replaySealed(History.load(ctx, ns, t), ns + "/" + NamespaceLayout.tlogKey(t), dropSealed);
            }
            if (Files.exists(f)) {
                TLogReader.replayFile(f, dropSealed);
                deleteQuietly(f);
            }
            garbage.add(NamespaceLayout.tlogKey(t));
        }
        long e = epoch;
        ctx.uploader().submit(new Uploader.Task() {
            @Override
            public void run() {
                for (String k : garbage) {
                    ctx.store().delete(ns, k);
                }
            }

            @Override
            public boolean obsolete() {
                return deleted || e != epoch;
            }

            @Override
            public String describe() {
                return "delete " + garbage.size() + " discarded objects of " + ns;
            }
        });
    }

    private void rebuildFrom(VolumeManifest m, List<History.Source> sources) {
        map.clear();
        History.apply(map, sources);
        long n = m.nextTlogNumber();
        m = m.withCounters(m.nextScoNumber(), n + 1, m.nextSnapshotId());
        writeManifest(m);
        tlog = TLogWriter.create(History.tlogFile(dir, n + 1), n + 1, tlogCapacity, clusterSize);
        scosInTlog = 0;
        uploads.enqueuePending();
    }

    // ---- local state ---------------------------------------------------------------------

    private void writeManifest(VolumeManifest m) {
        manifest = m;
        ManifestStore.writeLocal(dir.resolve(MANIFEST), m);
        ctx.manifestChanged(m);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + p, e);
        }
    }

    /** Seals SCO and TLog, queues their upload and marks the local state clean. */
    void close() {
        roll(null);
        discardPrepared();
        tlog.close();
        // The clean marker makes the next start trust the map and skip the checks of unflushed data,
        // so everything it vouches for is made durable first: a power loss right after a clean close
        // must not leave a marker whose SCOs (possibly recycled files) or map pages never reached flash.
        for (long id : uploads.unforced()) {
            forceSealed(id);
        }
        Path mapFile = map.file();
        map.close();
        try {
            Durable.force(mapFile);
            Path marker = dir.resolve(CLEAN);
            Files.write(marker, new byte[0]);
            Durable.force(marker);
            Durable.force(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mark " + dir + " clean", e);
        }
    }

    /** Releases files as a crash would: nothing sealed, no clean marker. */
    void crash() {
        // the prepared file stays, as after kill -9 (a restart deletes it), but its creation must
        // be over: deleting the volume removes its directory next
        if (prepared != null) {
            prepared.exceptionally(e -> null).join();
        }
        if (sco != null) {
            sco.close();
            ctx.scoCache().release(scoReserved);
        }
        tlog.close();
        map.close();
    }

    /** The volume is being deleted: no more uploads. */
    void markDeleted() {
        deleted = true;
    }
}
