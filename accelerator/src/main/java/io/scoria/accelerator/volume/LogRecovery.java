package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.WriteListener;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.backend.ObjectInfo;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.tlog.TLogReader;
import io.scoria.sco.tlog.TLogWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Opens a {@link VolumeLog}: restarts from local flash when the volume directory holds a local
 * manifest (after an unclean stop: checks of unflushed data, {@link TLogDataCheck}, and a replay
 * of the TLogs into a fresh map), else rebuilds the volume from the backend manifest and TLogs
 * alone. Either way it leaves the log ready to append (open TLog, the open SCO recovered if one
 * was being written) and the uploads of what is not yet on the backend queued.
 *
 * <p>Static and stateless; runs on the thread opening the volume, before the volume is shared,
 * so it takes no lock. On failure it closes every file it opened.
 */
final class LogRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(LogRecovery.class);
    /** Marker file of a clone's map that lies over its parent snapshot's. */
    static final String LAYERED = "lba-layered";

    private LogRecovery() {
    }

    /**
     * Opens the volume of {@code namespace}: restart from local flash, or rebuild from the backend.
     * {@code listener} is the volume's write hook for this open.
     */
    static VolumeLog open(VolumeContext ctx, String namespace, WriteListener listener, ReplicationFence fence) {
        // first: a volume whose data key cannot be unwrapped fails (naming it) before any of its files is opened
        ctx.scoCipher(namespace);
        Path dir = ctx.volumeDir(namespace);
        var local = VolumeManifestStore.readLocal(dir.resolve(VolumeLog.MANIFEST));
        VolumeLog v = local.isPresent() ? restart(ctx, local.get(), listener, fence) : rebuild(ctx, namespace, null, listener, fence);
        fence.remember(dir);
        return v;
    }

    /** Opens a namespace this node just created with manifest {@code fresh}: no backend reads at all. */
    static VolumeLog openNew(VolumeContext ctx, VolumeManifest fresh, WriteListener listener) {
        String ns = fresh.config().namespace();
        ReplicationFence fence = ReplicationFence.fresh(ctx.store(), ns);
        VolumeLog v = rebuild(ctx, ns, fresh, listener, fence);
        fence.remember(ctx.volumeDir(ns));
        return v;
    }

    /**
     * Opens the volume's map ({@code fresh}: a new, empty one). A clone's new map lies over its parent
     * snapshot's ({@link ParentMaps}) and says so by the {@value #LAYERED} marker, written before the
     * map holds anything; a clone's map without the marker (made before maps were layered) holds the
     * parent's entries itself and is used as it is.
     */
    private static LbaMap openMap(VolumeContext ctx, Path dir, VolumeManifest m, boolean fresh) throws IOException {
        // a map of an older format is never read: it is deleted and the map rebuilt from the TLogs
        Files.deleteIfExists(dir.resolve("lba.map"));
        Files.deleteIfExists(dir.resolve("lba-v2.map"));
        Path f = dir.resolve(LbaMap.FILE_NAME);
        Path layered = dir.resolve(LAYERED);
        if (fresh) {
            Files.deleteIfExists(f);
            Files.deleteIfExists(layered);
            if (m.parent() != null) {
                VolumeLog.writeMarker(dir, LAYERED);
            }
        }
        LbaMap map = LbaMap.open(f, m.config().clusters());
        if (m.parent() != null && Files.exists(layered)) {
            try {
                map.layOver(ctx.parentMaps().layerOf(m));
            } catch (RuntimeException e) {
                map.close();
                throw e;
            }
        }
        return map;
    }

    private static VolumeLog rebuild(VolumeContext ctx, String namespace, VolumeManifest fresh, WriteListener listener,
                                     ReplicationFence fence) {
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
            ObjectNumbers numbers = new ObjectNumbers(ctx.ownership(), namespace);
            m = numbers.claim(m, m.nextTlogNumber());
            VolumeLog v = new VolumeLog(ctx, m, openMap(ctx, dir, m, true), listener, fence, numbers);
            try {
                v.uploads().restore(m.lastRouterTlog(), m.generation());
                v.chain(History.chain(ctx, m));
                History.replay(ctx, v.map(), m, 0, null);
                v.uploads().writeState();
                v.writeManifest(m);
                v.startTlog(m.nextTlogNumber());
                return v;
            } catch (RuntimeException e) {
                v.closeFiles();
                // the volume directory is incomplete: remove the manifest so the next open rebuilds again
                Files.deleteIfExists(dir.resolve(VolumeLog.MANIFEST));
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
    private static VolumeLog restart(VolumeContext ctx, VolumeManifest m, WriteListener listener, ReplicationFence fence) {
        Path dir = ctx.volumeDir(m.config().namespace());
        try {
            long[] state = VolumeUploads.readState(dir); // first: a damaged file must not cost the clean marker
            boolean clean = Files.deleteIfExists(dir.resolve(VolumeLog.CLEAN));
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
            // the unsealed TLog found here goes on under its number; new TLogs and SCOs are reserved
            boolean resumed = r != null && !r.sealed() && r.records() > 1;
            ObjectNumbers numbers = new ObjectNumbers(ctx.ownership(), m.config().namespace());
            m = numbers.claim(m, resumed ? n + 1 : m.nextTlogNumber());
            boolean fresh = !clean || !Files.exists(dir.resolve(LbaMap.FILE_NAME));
            VolumeLog v = new VolumeLog(ctx, m, openMap(ctx, dir, m, fresh), listener, fence, numbers);
            try {
                return finishRestart(ctx, v, m, fresh, r, cur, n, unsealed, state);
            } catch (RuntimeException e) {
                v.closeFiles();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart volume in " + dir, e);
        }
    }

    private static VolumeLog finishRestart(VolumeContext ctx, VolumeLog v, VolumeManifest m, boolean fresh,
                                           TLogReader.Result r, Path cur, long n, Map<Long, Integer> unsealed, long[] state)
            throws IOException {
        v.uploads().restore(state[0], state[1]);
        v.chain(History.chain(ctx, m));
        if (fresh) {
            History.replay(ctx, v.map(), m, 0, null);
        }
        if (r != null && !r.sealed() && r.records() <= 1) {
            // nothing but its header (a clean close leaves one): started again under a reserved number
            Files.delete(cur);
            r = null;
        }
        if (r != null && !r.sealed()) {
            if (fresh) {
                LbaMap map = v.map();
                TLogReader.replayFile(cur, (lba, loc, hi, lo, crc) -> map.put(lba, loc, hi, lo, crc));
            }
            v.resumeTlog(TLogWriter.reopen(cur, n, v.tlogCapacity()));
            if (unsealed.size() > 1) {
                throw new VolumeException("TLog " + cur + " references " + unsealed.size() + " unsealed SCOs");
            }
            for (Map.Entry<Long, Integer> e : unsealed.entrySet()) {
                v.resumeSco(e.getKey(), e.getValue());
            }
        } else {
            v.startTlog(m.nextTlogNumber());
        }
        v.writeManifest(m);
        v.uploads().enqueuePending();
        if (r != null && !r.sealed()) {
            v.uploads().enqueueSealedScos(cur);
        }
        v.uploads().enqueueMarkUploaded();
        return v;
    }
}
