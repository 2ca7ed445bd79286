package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.WriteListener;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.Durable;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.cache.ScoFileCipher;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.tlog.TLogWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The write-side state of one volume and its append path: LBA map, open SCO, open TLog, local
 * manifest copy and the upload side ({@link VolumeUploads}: which TLogs are on the backend, which
 * manifest generation is published, which sealed SCOs a FLUSH must force). It appends clusters,
 * seals SCOs, captures what a FLUSH must force, rolls TLogs (and snapshots), and closes cleanly or
 * as a crash would. Opening it is {@link LogRecovery}'s job; history rewrites are
 * {@link HistoryRewriter}'s, scrub results {@link ScrubApply}'s: they change its state through the
 * package-private methods below.
 *
 * <p>Not thread-safe: {@link LocalVolume} serialises every mutating call (append lock for the
 * append path, structure lock for the rest); upload tasks run on the uploader's thread, read the
 * manifest and epoch (volatile) and synchronise on their {@link VolumeUploads}.
 */
final class VolumeLog implements UploadSource, MapView {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeLog.class);
    static final String MANIFEST = "volume.json";
    /** Marker of a clean close: the next open trusts the map and skips the checks of unflushed data. */
    static final String CLEAN = "clean";

    private final VolumeContext ctx;
    private final String ns;
    private final Path dir;
    private final int clusterSize;
    private final int scoClusters;
    private final int tlogCapacity;
    private volatile VolumeManifest manifest;
    private volatile List<String> chain = List.of();
    private final LbaMap map;
    private TLogWriter tlog;
    private OpenSco sco;
    private long scoReserved;
    private final NextScoFile next;
    private int scosInTlog;
    private volatile long epoch;
    /** Numbers of new SCOs and TLogs, within the owner epoch's reservation; under the append lock. */
    private final ObjectNumbers numbers;
    private volatile boolean deleted;
    private final VolumeUploads uploads;
    /** This volume's write hook (the FOC's), called directly on the append path. */
    private final WriteListener listener;
    private final ReplicationFence fence;
    /** Encrypts this volume's local SCO files; null when the volume is not encrypted. */
    private final ScoFileCipher cipher;

    /** A log over {@code map} with manifest {@code m}; {@link LogRecovery} then attaches its TLog. */
    VolumeLog(VolumeContext ctx, VolumeManifest m, LbaMap map, WriteListener listener, ReplicationFence fence,
              ObjectNumbers numbers) {
        this.ctx = ctx;
        this.numbers = numbers;
        this.ns = m.config().namespace();
        this.dir = ctx.volumeDir(ns);
        this.clusterSize = m.config().clusterSize();
        this.scoClusters = m.config().scoSize() / clusterSize;
        this.tlogCapacity = ctx.config().scosPerTlog() * (scoClusters + 1) + 64;
        this.manifest = m;
        this.map = map;
        this.listener = listener;
        this.fence = fence;
        this.cipher = ctx.scoCipher(ns);
        this.next = new NextScoFile(ctx.scoCache(), ns);
        this.uploads = new VolumeUploads(ctx, this, listener, ns, dir, clusterSize);
    }

    @Override
    public VolumeManifest manifest() {
        return manifest;
    }

    @Override
    public LbaMap map() {
        return map;
    }

    @Override
    public List<String> chain() {
        return chain;
    }

    long uploadedThrough() {
        return uploads.uploadedThrough();
    }

    /** Changes whenever a rollback or reset discards history: upload tasks queued before it are dropped. */
    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public boolean isDeleted() {
        return deleted;
    }

    @Override
    public ReplicationFence fence() {
        return fence;
    }

    /** System.nanoTime() of the first append since the last roll; 0 when there was none. Written under the append lock. */
    private volatile long unrolledSince;

    /** When the oldest write not yet in a sealed TLog was appended (System.nanoTime()); 0: none. */
    long unrolledSince() {
        return unrolledSince;
    }

    /** Appends one cluster (or a zero cluster) to SCO, TLog and map. */
    void append(long lba, ByteBuffer cluster, boolean zero, long fpHi, long fpLo, int crc) {
        append(lba, cluster, zero, fpHi, fpLo, crc, false);
    }

    /**
     * Appends one cluster a clone copies unchanged from its parent chain (hydration) like {@link #append},
     * logged as a HYDRATED record so that changed ranges between snapshots do not count it.
     */
    void appendHydrated(long lba, ByteBuffer cluster, long fpHi, long fpLo, int crc) {
        append(lba, cluster, false, fpHi, fpLo, crc, true);
    }

    private void append(long lba, ByteBuffer cluster, boolean zero, long fpHi, long fpLo, int crc, boolean hydrated) {
        if (unrolledSince == 0) {
            unrolledSince = System.nanoTime();
        }
        if (tlog.remaining() < 2) {
            roll(null);
        }
        if (zero) {
            tlog.cluster(lba, ClusterLocation.ZERO, 0, 0, 0);
            map.put(lba, ClusterLocation.ZERO, 0, 0, 0);
            listener.onWrite(lba, ClusterLocation.ZERO, cluster);
            return;
        }
        if (sco == null) {
            openSco();
        }
        int off = sco.append(cluster);
        long loc = ClusterLocation.of(ClusterLocation.scoNumber(sco.scoId()), 0, 0, off);
        if (hydrated) {
            tlog.hydrated(lba, loc, fpHi, fpLo, crc);
        } else {
            tlog.cluster(lba, loc, fpHi, fpLo, crc);
        }
        map.put(lba, loc, fpHi, fpLo, crc);
        listener.onWrite(lba, loc, cluster);
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
        if (unrolledSince == 0) {
            unrolledSince = System.nanoTime();
        }
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
                    listener.onWrite(lba + i, loc, run);
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
        long number = numbers.sco(manifest.nextScoNumber(), tlog.number() + 1); // first: may fail, changes nothing
        long id = ClusterLocation.of(number, 0, 0, 0);
        try {
            ctx.scoCache().reserve((long) scoClusters * clusterSize);
        } catch (InterruptedIOException e) {
            throw new VolumeException("interrupted while waiting for local SCO cache space for volume '" + manifest.name() + "'", e);
        }
        scoReserved = (long) scoClusters * clusterSize;
        manifest = manifest.withCounters(number + 1, manifest.nextTlogNumber(), manifest.nextSnapshotId());
        Path f = ctx.scoCache().file(ns, id);
        sco = next.take(id) ? OpenSco.openPrepared(f, id, clusterSize, scoClusters, cipher)
                : OpenSco.create(f, id, clusterSize, scoClusters, cipher);
        if (number < ClusterLocation.MAX_SCO_NUMBER) {
            next.request(ClusterLocation.of(number + 1, 0, 0, 0));
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
        listener.onFlush();
        return new PendingFlush(uploads, sealed, sco, tlog);
    }

    /** Sealed SCOs not yet forced (tests). */
    int unforcedScos() {
        return uploads.unforcedCount();
    }

    /** Seals the open SCO and TLog (with a snapshot marker when {@code snapshot} is set). */
    VolumeManifest.Snapshot roll(String snapshot) {
        return roll(snapshot, false);
    }

    /**
     * As {@link #roll(String)}; when {@code closing}, the next TLog (which the close leaves holding only its
     * header, and which the next open deletes before starting a reserved one) takes the next number
     * without a reservation, so that a volume whose lease is over still closes cleanly.
     */
    private VolumeManifest.Snapshot roll(String snapshot, boolean closing) {
        if (snapshot == null && sco == null && tlog.records() <= 1) {
            return null;
        }
        long next = closing ? tlog.number() + 1 // never written to nor uploaded
                : numbers.tlog(manifest.nextScoNumber(), tlog.number() + 1); // first: may fail, changes nothing
        sealSco();
        long snapId = manifest.nextSnapshotId();
        if (snapshot != null) {
            tlog.snapshot(snapId);
        }
        tlog.seal();
        tlog.close();
        long n = tlog.number();
        VolumeManifest m = manifest.withTlog(n).withCounters(manifest.nextScoNumber(), next,
                snapshot == null ? snapId : snapId + 1);
        long now = System.currentTimeMillis();
        if (snapshot != null) {
            m = m.withSnapshot(snapshot, snapId, now);
        }
        writeManifest(m);
        uploads.enqueueTlog(n);
        tlog = TLogWriter.create(History.tlogFile(dir, next), next, tlogCapacity, clusterSize);
        scosInTlog = 0;
        unrolledSince = 0;
        return snapshot == null ? null : m.snapshot(snapshot);
    }

    VolumeUploads uploads() {
        return uploads;
    }

    ObjectNumbers numbers() {
        return numbers;
    }

    int tlogCapacity() {
        return tlogCapacity;
    }

    void chain(List<String> chain) {
        this.chain = chain;
    }

    /** Starts TLog {@code n} as the open TLog (a new, empty file). */
    void startTlog(long n) {
        tlog = TLogWriter.create(History.tlogFile(dir, n), n, tlogCapacity, clusterSize);
        scosInTlog = 0;
    }

    /** Continues appending to {@code reopened}, the unsealed TLog found at a restart. */
    void resumeTlog(TLogWriter reopened) {
        tlog = reopened;
    }

    /** Continues appending to SCO {@code scoId}, unsealed at a restart with {@code clusters} clusters logged. */
    void resumeSco(long scoId, int clusters) {
        sco = OpenSco.recover(ctx.scoCache().file(ns, scoId), scoId, clusterSize, scoClusters, clusters, cipher);
        scoReserved = 0;
        if (sco.isFull()) {
            sealSco();
        }
    }

    /** True if anything was appended since the last roll. */
    boolean hasUnrolledWrites() {
        return sco != null || tlog.records() > 1;
    }

    /**
     * For a history rewrite: bumps the epoch (upload tasks queued so far become obsolete), deletes
     * the open SCO and closes the open TLog; returns the open TLog's number (the caller deletes it
     * and then starts another with {@link #startTlog}).
     */
    long discardOpen() {
        epoch++;
        if (sco != null) {
            sco.close();
            deleteQuietly(sco.path());
            ctx.scoCache().release(scoReserved);
            sco = null;
        }
        tlog.close();
        return tlog.number();
    }

    /** Closes the files of a log whose opening failed. */
    void closeFiles() {
        map.close();
        if (tlog != null) {
            tlog.close();
        }
        if (sco != null) {
            sco.close();
        }
    }

    // ---- local state ---------------------------------------------------------------------

    /** Makes {@code m} current and writes it to the local manifest file. */
    void writeManifest(VolumeManifest m) {
        manifest = m;
        VolumeManifestStore.writeLocal(dir.resolve(MANIFEST), m);
        ctx.manifestChanged(m);
    }

    /** Makes {@code m} current; the caller has put it in the local manifest file already. */
    void adoptManifest(VolumeManifest m) {
        manifest = m;
        ctx.manifestChanged(m);
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + p, e);
        }
    }

    /** Seals SCO and TLog, queues their upload and marks the local state clean. */
    void close() {
        roll(null, true);
        next.discard();
        tlog.close();
        // The clean marker makes the next start trust the map and skip the checks of unflushed data,
        // so everything it vouches for is made durable first: a power loss right after a clean close
        // must not leave a marker whose SCOs (possibly recycled files) or map pages never reached flash.
        for (long id : uploads.unforced()) {
            uploads.forceSealed(id);
        }
        Path mapFile = map.file();
        map.close();
        try {
            Durable.force(mapFile);
            writeMarker(dir, CLEAN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mark " + dir + " clean", e);
        }
    }

    /** Writes the empty marker file {@code name} in {@code dir} and forces it and the directory. */
    static void writeMarker(Path dir, String name) throws IOException {
        Path marker = dir.resolve(name);
        Files.write(marker, new byte[0]);
        Durable.force(marker);
        Durable.force(dir);
    }

    /** Releases files as a crash would: nothing sealed, no clean marker. */
    void crash() {
        // the prepared file stays, as after kill -9 (a restart deletes it), but its creation must
        // be over: deleting the volume removes its directory next
        next.awaitCreation();
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
