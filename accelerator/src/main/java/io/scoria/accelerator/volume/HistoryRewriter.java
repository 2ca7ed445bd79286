package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.ScrubbedTlogs;
import io.scoria.sco.tlog.TLogReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites the history of one volume's {@link VolumeLog}: rollback to a snapshot, reset of a
 * clone to its parent, turning the volume into a template, deleting a snapshot; each first checks
 * that no clone depends on what it removes. A rollback or
 * reset discards the open SCO and TLog and every later TLog with its SCOs (locally at once, on
 * the backend by a queued delete), bumps the log's epoch so that upload tasks queued before it
 * are dropped, and rebuilds the LBA map from the kept TLogs.
 *
 * <p>Not thread-safe: every call runs under {@link LocalVolume}'s structure lock held
 * exclusively (no I/O of the volume in flight); the queued delete runs on the uploader's thread.
 */
final class HistoryRewriter {
    private final VolumeContext ctx;
    private final VolumeLog log;
    private final String ns;
    private final Path dir;

    HistoryRewriter(VolumeContext ctx, VolumeLog log) {
        this.ctx = ctx;
        this.log = log;
        this.ns = log.manifest().config().namespace();
        this.dir = ctx.volumeDir(ns);
    }

    /** Deletes snapshot {@code name}, which no clone may depend on. */
    void deleteSnapshot(String name) {
        requireSnapshot(name);
        List<String> deps = dependents(List.of(name));
        if (!deps.isEmpty()) {
            throw new VolumeConflictException("snapshot '" + name + "' of volume '" + log.manifest().name() + "' has clones: "
                    + deps);
        }
        VolumeManifest manifest = log.manifest();
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
        log.writeManifest(manifest.withHistory(snaps, current));
        log.uploads().enqueuePublish();
    }

    /**
     * Drops every TLog and SCO after {@code snapshot} and rebuilds the map from the TLogs before it;
     * refused if a later snapshot has clones.
     */
    void rollback(String snapshot) {
        requireSnapshot(snapshot);
        List<String> later = new ArrayList<>();
        boolean after = false;
        for (VolumeManifest.Snapshot s : log.manifest().snapshots()) {
            if (after) {
                later.add(s.name());
            }
            after |= s.name().equals(snapshot);
        }
        List<String> deps = dependents(later);
        if (!deps.isEmpty()) {
            throw new VolumeConflictException("cannot roll volume '" + log.manifest().name() + "' back to '" + snapshot
                    + "': later snapshots have clones: " + deps);
        }
        VolumeManifest manifest = log.manifest();
        List<Long> keep = manifest.tlogsThrough(snapshot);
        List<VolumeManifest.Snapshot> snaps = new ArrayList<>();
        for (VolumeManifest.Snapshot s : manifest.snapshots()) {
            snaps.add(s);
            if (s.name().equals(snapshot)) {
                break;
            }
        }
        VolumeManifest next = manifest.withHistory(snaps, List.of());
        List<History.Source> sources = History.collect(ctx, next, 0, null, log.map().layered());
        discard(keep);
        rebuildFrom(next, sources);
    }

    /** Discards all own data of a clone, which no clone may depend on. */
    void reset() {
        if (log.manifest().parent() == null) {
            throw new VolumeConflictException("volume '" + log.manifest().name() + "' is not a clone");
        }
        List<String> deps = dependents(null);
        if (!deps.isEmpty()) {
            throw new VolumeConflictException("cannot reset clone '" + log.manifest().name() + "': it has clones: " + deps);
        }
        VolumeManifest next = log.manifest().withHistory(List.of(), List.of());
        List<History.Source> sources = History.collect(ctx, next, 0, null, log.map().layered());
        discard(List.of());
        rebuildFrom(next, sources);
    }

    /**
     * Cuts the parent link of a hydrated clone: refused while {@code hydration} finds clusters the
     * clone reads from its parent, or a snapshot of the clone still needs the parent
     * ({@link ParentCoverage}). Seals what is written first, then writes the manifest without a parent
     * locally (atomic replace: a crash leaves the old or the new one) and queues its publish behind the
     * uploads of the clone's TLogs, so the backend never names a parentless history whose TLogs it lacks.
     */
    void flatten(CloneHydration hydration) {
        VolumeManifest m = log.manifest();
        if (m.parent() == null) {
            throw new VolumeConflictException("volume '" + m.name() + "' is not a clone: nothing to flatten");
        }
        long inherited = hydration.inherited(m.config().clusters());
        if (inherited > 0) {
            throw new VolumeConflictException("clone '" + m.name() + "' still reads " + inherited + " clusters from its parent '"
                    + m.parent().volume() + "'; run `scoria clone hydrate " + m.name() + "` first");
        }
        if (log.hasUnrolledWrites()) {
            log.roll(null);
        }
        List<String> needing = ParentCoverage.snapshotsNeedingParent(ctx, log.manifest());
        if (!needing.isEmpty()) {
            throw new VolumeConflictException("snapshots " + needing + " of clone '" + m.name() + "' were taken before it was"
                    + " hydrated and still read from '" + m.parent().volume() + "': delete them, then flatten again");
        }
        log.writeManifest(log.manifest().withParent(null));
        log.map().layOver(null); // every inherited LBA is the clone's own now; the parent's map may go away
        log.chain(List.of(ns));
        log.uploads().enqueuePublish();
    }

    void makeTemplate() {
        VolumeManifest manifest = log.manifest();
        if (log.hasUnrolledWrites() || !manifest.currentTlogs().isEmpty() || manifest.snapshots().isEmpty()) {
            log.roll("template-" + manifest.nextSnapshotId());
        }
        log.writeManifest(log.manifest().withTemplate(true));
        log.uploads().enqueuePublish();
    }

    /**
     * Throws {@link VolumeConflictException} if the map, or any sealed TLog the volume's history
     * replays (snapshots, inherited ranges of a clone's parents), has an entry at {@code lba} or past it.
     */
    void requireUnwrittenFrom(long lba) {
        long clusters = log.manifest().config().clusters();
        io.scoria.accelerator.metadata.LbaEntry e = new io.scoria.accelerator.metadata.LbaEntry();
        for (long l = lba; l < clusters; l++) {
            log.map().get(l, e);
            if (e.location != io.scoria.sco.ClusterLocation.ZERO) {
                throw cut(l, "holds data");
            }
        }
        for (History.Source s : History.collect(ctx, log.manifest(), 0, null)) {
            long[] first = {-1};
            TLogReader.replaySealed(s.content(), s.namespace() + "/" + s.tlog(),
                    (l, loc, hi, lo, crc) -> {
                        if (l >= lba && first[0] < 0) {
                            first[0] = l;
                        }
                    });
            if (first[0] >= 0) {
                throw cut(first[0], "was written in TLog " + s.tlog() + " of " + s.namespace()
                        + " (a snapshot or an earlier write may still need it)");
            }
        }
    }

    private VolumeConflictException cut(long lba, String why) {
        return new VolumeConflictException("cannot shrink volume '" + log.manifest().name() + "' below cluster " + lba
                + ": that cluster " + why);
    }

    private void requireSnapshot(String snapshotName) {
        if (snapshotName == null || log.manifest().snapshot(snapshotName) == null) {
            throw new VolumeNotFoundException("volume '" + log.manifest().name() + "' has no snapshot '" + snapshotName + "'");
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

    private void discard(List<Long> keep) {
        List<String> garbage = new ArrayList<>();
        long openTlog = log.discardOpen();
        List<Long> drop = new ArrayList<>(log.manifest().allTlogs());
        drop.removeAll(keep);
        drop.add(openTlog);
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
                VolumeLog.deleteQuietly(f);
            }
            garbage.add(NamespaceLayout.tlogKey(t));
        }
        long e = log.epoch();
        ctx.uploader().submit(new Uploader.Task() {
            @Override
            public void run() {
                for (String k : garbage) {
                    ctx.store().delete(ns, k);
                }
            }

            @Override
            public boolean obsolete() {
                return log.isDeleted() || e != log.epoch();
            }

            @Override
            public String describe() {
                return "delete " + garbage.size() + " discarded objects of " + ns;
            }
        });
    }

    private void rebuildFrom(VolumeManifest m, List<History.Source> sources) {
        log.map().clear();
        History.apply(log.map(), sources);
        long next = log.numbers().tlog(m.nextScoNumber(), m.nextTlogNumber() + 1);
        m = m.withCounters(m.nextScoNumber(), next, m.nextSnapshotId());
        log.writeManifest(m);
        log.startTlog(next);
        log.uploads().enqueuePending();
    }
}
