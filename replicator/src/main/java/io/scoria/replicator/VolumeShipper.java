package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Ships one volume from a source namespace to the namespace of the same name on the target, one
 * pass at a time. A pass reads the source's newest manifest (in snapshot mode cut back to its last
 * snapshot), ships every TLog it names that the target lacks, each after the SCOs it seals, as one
 * pipeline ({@link ObjectTransfer#shipTlogs}), and then publishes that manifest on the target. So the
 * target's newest manifest always names only TLogs (and SCOs) the target holds: a consistent
 * prefix of the volume's history, whatever moment a crash stops the job. A re-run sends nothing
 * the target already holds (a TLog on the target implies its SCOs are, since they were put
 * first); the progress is recorded in the target's {@link ReplicationState}.
 *
 * <p>Before a pass ships anything, {@link ReplicaRoles#claimReplica} checks that the target is a
 * replica of this very volume; just before the manifest is published the state is read again, so
 * a replica promoted meanwhile is never published over. After the pass, the {@link ObsoleteSweeper}
 * deletes on the target what the source dropped (scrubbed) and the published manifest no longer
 * names. Not thread-safe: one pass at a time.
 */
final class VolumeShipper {
    /** What one pass did. */
    record Pass(String volume, boolean changed, long sourceGeneration, long targetGeneration, int tlogsShipped, long lagMillis) {
    }

    private final ObjectTransfer.Site source;
    private final ObjectTransfer.Site target;
    private final boolean snapshotMode;
    private final ObjectTransfer transfer;
    private final ProgressBar progress;
    private final ObsoleteSweeper sweeper;

    VolumeShipper(ObjectStore source, ObjectStore target, String namespace, boolean snapshotMode, ObjectTransfer transfer,
                  ProgressBar progress, ObsoleteSweeper sweeper) {
        this.source = new ObjectTransfer.Site(source, namespace);
        this.target = new ObjectTransfer.Site(target, namespace);
        this.snapshotMode = snapshotMode;
        this.transfer = Objects.requireNonNull(transfer, "transfer");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.sweeper = Objects.requireNonNull(sweeper, "sweeper");
    }

    String namespace() {
        return source.namespace();
    }

    /** The part of the source's manifest a pass replicates. */
    private VolumeManifest wanted(VolumeManifest src) {
        return snapshotMode ? src.withHistory(src.snapshots(), List.of()) : src;
    }

    /** True when two manifests describe the same volume state (the generation aside). */
    static boolean sameState(VolumeManifest a, VolumeManifest b) {
        return a.withGeneration(0).equals(b.withGeneration(0));
    }

    Pass runOnce() {
        String ns = namespace();
        VolumeManifestStore sourceManifests = new VolumeManifestStore(source.store());
        VolumeManifestStore targetManifests = new VolumeManifestStore(target.store());
        VolumeManifest src = sourceManifests.readLatest(ns).orElseThrow(() ->
                new ReplicationException("source " + ReplicaRoles.where(source.store(), ns) + " holds no volume manifest"));
        long sourceWritten = source.store().stat(ns, NamespaceLayout.manifestKey(src.generation())).lastModified().toEpochMilli();
        VolumeManifest want = wanted(src);
        ReplicationState state = ReplicaRoles.claimReplica(source.store(), target.store(), ns);
        Optional<VolumeManifest> onTarget = targetManifests.readLatest(ns);
        VolumeReplicationCounters counters = transfer.counters().volume(ns);
        if (onTarget.isPresent() && sameState(onTarget.get(), want)) {
            counters.current(System.currentTimeMillis());
            sweeper.afterPass(ns, onTarget.get(), null);
            return new Pass(want.name(), false, src.generation(), onTarget.get().generation(), 0, 0);
        }
        if (want.parent() != null && targetManifests.readLatest(want.parent().namespace()).isEmpty()) {
            throw new ReplicationException("volume '" + want.name() + "' is a clone of '" + want.parent().volume()
                    + "', which is not on the target yet: replicate the parent too (select it by name or pattern)");
        }
        Map<String, Long> held = ObjectTransfer.held(target);
        List<Long> missing = new ArrayList<>();
        for (long t : want.allTlogs()) {
            if (held.containsKey(NamespaceLayout.tlogKey(t))) {
                transfer.counters().skipped(ns);
            } else {
                missing.add(t);
            }
        }
        counters.behind(sourceWritten, missing.size());
        java.util.concurrent.atomic.AtomicInteger shipped = new java.util.concurrent.atomic.AtomicInteger();
        progress.begin(ns, missing.size());
        try {
            transfer.shipTlogs(source, target, missing, want.config().clusterSize(), held, () -> {
                shipped.incrementAndGet();
                progress.advance();
            });
        } finally {
            progress.end();
        }
        ReplicationState now = ReplicaRoles.claimReplica(source.store(), target.store(), ns);
        if (now.epoch() != state.epoch()) {
            throw new ReplicaConflictException("the replica " + ReplicaRoles.where(target.store(), ns) + " changed epoch from "
                    + state.epoch() + " to " + now.epoch() + " during the pass: not publishing its manifest");
        }
        long generation = Math.max(src.generation(), onTarget.map(m -> m.generation() + 1).orElse(1L));
        VolumeManifest published = want.withGeneration(generation);
        try {
            targetManifests.publish(ns, published);
        } catch (PreconditionFailedException e) {
            throw new ReplicaConflictException("manifest generation " + generation + " of " + ReplicaRoles.where(target.store(), ns)
                    + " was published by someone else during the pass (a router writing the replica?): not replacing it");
        }
        ReplicaRoles.writeState(target.store(), ns, now.withShipped(src.generation(), generation, System.currentTimeMillis()));
        long lag = System.currentTimeMillis() - sourceWritten;
        transfer.counters().published(ns, lag);
        sweeper.afterPass(ns, published, held);
        return new Pass(want.name(), true, src.generation(), generation, shipped.get(), lag);
    }
}
