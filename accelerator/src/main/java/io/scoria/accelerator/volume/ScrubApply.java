package io.scoria.accelerator.volume;

import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.scrub.ScrubResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

/**
 * Applies a scrub result to one volume's {@link VolumeLog}: swaps the manifest's TLogs for the
 * result's (prepared and forced to a side file without the write lock, committed by an atomic
 * rename under it), moves the LBAs that still point at a relocated cluster, and drops the local
 * copies of the objects the scrub made obsolete.
 *
 * <p>Not thread-safe: {@link LocalVolume} serialises scrub applies of a volume and holds its
 * structure lock shared throughout; the steps documented "under the write lock" also hold the
 * append lock, the others run next to writers (they only read the map and the manifest).
 */
final class ScrubApply {
    private static final Logger LOG = LoggerFactory.getLogger(ScrubApply.class);
    /** A scrub-applied manifest forced before it replaces {@link VolumeLog#MANIFEST}; never read. */
    private static final String SCRUB_MANIFEST = "volume.json.scrub";

    private final VolumeContext ctx;
    private final VolumeLog log;
    private final String ns;
    private final Path dir;

    ScrubApply(VolumeContext ctx, VolumeLog log) {
        this.ctx = ctx;
        this.log = log;
        this.ns = log.manifest().config().namespace();
        this.dir = ctx.volumeDir(ns);
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
        VolumeManifest base = log.manifest();
        VolumeManifest next = result.applyTo(base);
        VolumeManifestStore.writeLocal(dir.resolve(SCRUB_MANIFEST), next);
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
        VolumeManifest now = log.manifest();
        if (now != prepared.base() && !now.equals(prepared.base().withCounters(now.nextScoNumber(), now.nextTlogNumber(),
                now.nextSnapshotId()))) {
            return false;
        }
        try {
            Files.move(dir.resolve(SCRUB_MANIFEST), dir.resolve(VolumeLog.MANIFEST), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + dir.resolve(SCRUB_MANIFEST) + " to " + VolumeLog.MANIFEST, e);
        }
        VolumeManifest next = prepared.next().withCounters(now.nextScoNumber(), now.nextTlogNumber(), now.nextSnapshotId());
        log.adoptManifest(next);
        log.uploads().enqueuePublish();
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
        log.writeManifest(result.applyTo(log.manifest()));
        log.uploads().enqueuePublish();
    }

    /**
     * Of the result's relocations {@code [from, to)}, the indexes whose LBA points at the old
     * location now. Reads the map only, so it runs without the write lock; {@link #relocate}
     * checks again under it.
     */
    int[] relocationCandidates(ScrubResult result, int from, int to) {
        LbaMap map = log.map();
        LbaEntry e = new LbaEntry();
        int[] found = new int[to - from];
        int n = 0;
        for (int i = from; i < to; i++) {
            map.get(result.relocationLba(i), e);
            if (e.location == result.relocationOld(i)) {
                found[n++] = i;
            }
        }
        return Arrays.copyOf(found, n);
    }

    /**
     * Moves the LBAs of the given relocations that still point at their old location to the
     * new one; an LBA written since the scrub keeps its newer location. Idempotent. The caller
     * holds the write lock.
     *
     * @return the number of LBAs moved
     */
    int relocate(ScrubResult result, int[] indexes) {
        LbaMap map = log.map();
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
            VolumeLog.deleteQuietly(History.tlogFile(dir, t));
        }
    }

    /** Attempts to swap a scrub result's manifest outside the write lock before doing it under the lock. */
    private static final int SCRUB_MANIFEST_ATTEMPTS = 4;
    /** Serialises scrub applies of this volume (they share one side file for the manifest). */
    private final java.util.concurrent.locks.ReentrantLock applying = new java.util.concurrent.locks.ReentrantLock();

    /**
     * Applies the manifest part of a scrub result: swaps the TLogs of the scrubbed snapshots
     * atomically and queues the manifest's publication. The result is checked and the new
     * manifest written and forced without the write lock ({@code append}); under it, only a rename
     * (and, if a TLog roll changed the manifest meanwhile, the attempt is repeated; after a few, it is
     * done under the lock). {@code shared} (the volume's structure lock, shared) is held throughout and
     * {@code check} runs under it. Reads of LBAs not yet relocated keep using the old locations, which
     * stay readable until the obsolete objects are deleted after the grace period. Then the caller
     * applies the relocations with {@link #relocate}, all of them before the clean-up. If the process
     * dies in between, applying the result again is refused as already applied and {@link #relocate}
     * finishes it (the applier does); a restart after a crash rebuilds the map from the new TLogs anyway.
     *
     * @throws io.scoria.sco.scrub.StaleScrubResultException if the result is stale or applied
     */
    void applyManifest(ScrubResult result, java.util.concurrent.locks.Lock shared, java.util.concurrent.locks.Lock append,
                       Runnable check) {
        applying.lock();
        try {
            shared.lock();
            try {
                check.run();
                for (int attempt = 1; ; attempt++) {
                    ScrubManifest prepared = attempt < SCRUB_MANIFEST_ATTEMPTS ? prepareScrubManifest(result) : null;
                    append.lock();
                    try {
                        if (prepared == null) {
                            applyScrubManifest(result);
                            return;
                        }
                        if (commitScrubManifest(prepared)) {
                            return;
                        }
                    } finally {
                        append.unlock();
                    }
                }
            } finally {
                shared.unlock();
            }
        } finally {
            applying.unlock();
        }
    }

    /**
     * Applies relocations {@code [from, to)} of a result whose manifest part is applied: each LBA
     * that still points at its old location moves to the new one (a write since the scrub wins).
     * The map is read first without the write lock ({@code append}); under it, only the LBAs found
     * there are checked again and moved, so one call holds the write lock for about a microsecond per
     * relocation. Idempotent; pacing between calls is the caller's (see
     * {@link io.scoria.accelerator.scrub.RelocationPacing}).
     *
     * @return the number of LBAs moved
     */
    int relocate(ScrubResult result, int from, int to, java.util.concurrent.locks.Lock shared,
                 java.util.concurrent.locks.Lock append, Runnable check) {
        if (from < 0 || to > result.relocationCount() || from > to) {
            throw new IllegalArgumentException("relocations [" + from + ", " + to + ") are not within the result's "
                    + result.relocationCount());
        }
        shared.lock();
        try {
            check.run();
            int[] candidates = relocationCandidates(result, from, to);
            if (candidates.length == 0) {
                return 0;
            }
            append.lock();
            try {
                return relocate(result, candidates);
            } finally {
                append.unlock();
            }
        } finally {
            shared.unlock();
        }
    }
}
