package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.ScrubbedTlogs;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;
import io.scoria.sco.replication.VolumeIdentity;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code failback} command: after a promote, ships a volume's writes made on the promoted
 * replica (site B, the config's target) back to the old primary (site A, the config's source)
 * and swaps the roles back. Steps, each safe to repeat after a crash:
 * <ol>
 * <li>The last common point: the longest common prefix of both manifests' TLog lists, where a
 * TLog counts as common when both sites hold it with the same size and the same CHECKSUM record
 * (its last 48 bytes, which hold the CRC32C of every byte before).</li>
 * <li>Site A's writes after that point (TLogs its manifest names after it, and sealed TLogs it
 * uploaded without publishing a manifest) are kept: the whole volume as it was on A is copied on
 * A to the volume {@code <name>-diverged-<epoch>}, for inspection; they are never merged.
 * Today's formats keep one linear history per namespace, so they cannot stay as a snapshot of
 * the volume itself.</li>
 * <li>A's namespace is fenced: it gets a {@link ReplicationState} of role REPLICA, so no job
 * ships from it until the fail-back ends.</li>
 * <li>B's TLogs after the common point are shipped to A with their SCOs, in order (the SCOs of a
 * TLog before it), overwriting A's diverged objects of the same keys; then B's manifest is
 * published on A one generation above both; A's diverged objects that B did not overwrite are
 * deleted (they live on in the kept copy).</li>
 * <li>Roles swap: A's replication state becomes PRIMARY at the new epoch (A is the primary again;
 * a router on A that opened the volume before the fail-back sees the state changed and stops
 * publishing) and B's becomes a REPLICA with the epoch raised, so {@code run} continues from A
 * to B.</li>
 * </ol>
 * Routers must not write the volume on either site while this runs: a router on A that still
 * does is fenced (its next manifest publish meets the changed state and stops the volume), and
 * when it opens the volume again it finds the backend's history diverged from its local state
 * and rebuilds from the backend. Not thread-safe: one fail-back at a time.
 */
final class Failback {
    /** What a fail-back did. */
    record Result(String volume, int commonTlogs, long lastCommonTlog, int tlogsShippedBack, long bytesShippedBack,
                  String divergedVolume, int divergedTlogs, long generationOnA) {
    }

    private final ObjectStore siteA;
    private final ObjectStore siteB;
    private final String ns;
    private final ObjectTransfer transfer;

    Failback(ObjectStore siteA, ObjectStore siteB, String ns, ObjectTransfer transfer) {
        this.siteA = Objects.requireNonNull(siteA, "siteA");
        this.siteB = Objects.requireNonNull(siteB, "siteB");
        this.ns = Objects.requireNonNull(ns, "ns");
        this.transfer = Objects.requireNonNull(transfer, "transfer");
    }

    Result run() {
        ReplicationState b = ReplicaRoles.state(siteB, ns).orElseThrow(() -> new ReplicaConflictException(
                ReplicaRoles.where(siteB, ns) + " is not a replica (no replication state): nothing to fail back"));
        if (b.role() != ReplicationState.Role.PRIMARY) {
            throw new ReplicaConflictException(ReplicaRoles.where(siteB, ns) + " was not promoted: its writes are those of "
                    + ReplicaRoles.where(siteA, ns) + " already; nothing to fail back");
        }
        VolumeManifestStore manifestsA = new VolumeManifestStore(siteA);
        VolumeManifest mb = new VolumeManifestStore(siteB).readLatest(ns).orElseThrow();
        checkIdentity(b);
        Optional<VolumeManifest> ma = siteA.namespaceExists(ns) ? manifestsA.readLatest(ns) : Optional.empty();
        List<Long> tlogsA = ma.map(VolumeManifest::allTlogs).orElse(List.of());
        List<Long> tlogsB = mb.allTlogs();
        int common = 0;
        while (common < Math.min(tlogsA.size(), tlogsB.size()) && tlogsA.get(common).equals(tlogsB.get(common))
                && sameTlog(tlogsA.get(common))) {
            common++;
        }
        long epoch = b.epoch() + 1;
        List<Long> unpublished = unpublishedOnA(ma.orElse(null));
        List<Long> diverged = new ArrayList<>(tlogsA.subList(common, tlogsA.size()));
        diverged.addAll(unpublished);
        String keptAs = null;
        Set<String> divergedKeys = new HashSet<>();
        if (!diverged.isEmpty()) {
            keptAs = ns + "-diverged-" + epoch;
            if (keptAs.length() > 63) {
                throw new ReplicationException("cannot keep " + ReplicaRoles.where(siteA, ns) + "'s " + diverged.size()
                        + " diverged TLogs as volume '" + keptAs + "': the name is longer than 63 characters; nothing changed");
            }
            divergedKeys.addAll(keepDiverged(ma.orElseThrow(), diverged, unpublished, keptAs));
        }
        ReplicaRoles.writeState(siteA, ns, new ReplicationState(ReplicationState.FORMAT_VERSION, b.volumeId(),
                ReplicationState.Role.REPLICA, epoch, mb.generation(), 0, System.currentTimeMillis()));
        ObjectTransfer.Site from = new ObjectTransfer.Site(siteB, ns);
        ObjectTransfer.Site to = new ObjectTransfer.Site(siteA, ns);
        int shipped = 0;
        long bytesBefore = transfer.counters().bytesShipped();
        for (long t : tlogsB.subList(common, tlogsB.size())) {
            if (!sameTlog(t)) {
                for (ObjectTransfer.SealedSco s : transfer.shipTlog(from, to, t, mb.config().clusterSize(), null)) {
                    divergedKeys.remove(s.key());
                }
                shipped++;
            }
            divergedKeys.remove(NamespaceLayout.tlogKey(t));
        }
        long bytesBack = transfer.counters().bytesShipped() - bytesBefore;
        long generation = Math.max(mb.generation(), ma.map(VolumeManifest::generation).orElse(0L)) + 1;
        manifestsA.publish(ns, mb.withGeneration(generation));
        divergedKeys.forEach(k -> siteA.delete(ns, k));
        ReplicaRoles.writeState(siteA, ns, new ReplicationState(ReplicationState.FORMAT_VERSION, b.volumeId(),
                ReplicationState.Role.PRIMARY, epoch, 0, generation, System.currentTimeMillis()));
        ReplicaRoles.writeState(siteB, ns, b.withRole(ReplicationState.Role.REPLICA, System.currentTimeMillis())
                .withShipped(generation, mb.generation(), System.currentTimeMillis()));
        return new Result(mb.name(), common, common == 0 ? 0 : tlogsB.get(common - 1), shipped, bytesBack, keptAs, diverged.size(), generation);
    }

    /** A must be this volume (same identity) or hold none yet (a rebuilt site): then it gets B's. */
    private void checkIdentity(ReplicationState b) {
        if (!siteA.namespaceExists(ns)) {
            ReplicaRoles.createCopyNamespace(siteA, ns);
        }
        Optional<VolumeIdentity> a = ReplicaRoles.identity(siteA, ns, false);
        if (a.isPresent() && !a.get().volumeId().equals(b.volumeId())) {
            throw new ReplicaConflictException(ReplicaRoles.where(siteA, ns) + " holds a different volume of the same name (volume id "
                    + a.get().volumeId() + ", the replica's is " + b.volumeId() + "): refusing to fail back over it");
        }
        Optional<ReplicationState> fenced = ReplicaRoles.state(siteA, ns);
        if (fenced.isPresent() && !fenced.get().volumeId().equals(b.volumeId())) {
            throw new ReplicaConflictException(ReplicaRoles.where(siteA, ns) + " is a replica of another volume");
        }
        if (a.isEmpty()) {
            siteA.put(ns, VolumeIdentity.KEY, new VolumeIdentity(VolumeIdentity.FORMAT_VERSION, b.volumeId(),
                    System.currentTimeMillis()).encode());
        }
    }

    /** True when both sites hold TLog {@code t} with the same size and CHECKSUM record. */
    private boolean sameTlog(long t) {
        String key = NamespaceLayout.tlogKey(t);
        if (!siteA.exists(ns, key)) {
            return false;
        }
        long size = siteA.stat(ns, key).size();
        if (size != siteB.stat(ns, key).size() || size < 48) {
            return false;
        }
        return Arrays.equals(tail(siteA, key, size), tail(siteB, key, size));
    }

    private byte[] tail(ObjectStore store, String key, long size) {
        ByteBuffer b = store.get(ns, key, size - 48, 48);
        byte[] bytes = new byte[48];
        b.get(bytes);
        return bytes;
    }

    /** Sealed TLogs of A's router above its manifest's last: uploaded, never published. */
    private List<Long> unpublishedOnA(VolumeManifest ma) {
        if (ma == null) {
            return List.of();
        }
        long last = ma.lastRouterTlog();
        List<Long> out = new ArrayList<>();
        for (var o : siteA.listAll(ns, NamespaceLayout.TLOG_PREFIX)) {
            long t = NamespaceLayout.tlogNumber(o.key());
            if (t > last && !ScrubbedTlogs.isScrubOutput(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Copies A's volume, with the TLogs it uploaded without publishing, to namespace
     * {@code keptAs} on A (skipped when a previous run finished the copy) and returns the keys of
     * A's diverged TLogs and of the SCOs they seal.
     */
    private Set<String> keepDiverged(VolumeManifest ma, List<Long> diverged, List<Long> unpublished, String keptAs) {
        VolumeManifestStore manifests = new VolumeManifestStore(siteA);
        boolean done = siteA.namespaceExists(keptAs) && manifests.readLatest(keptAs).isPresent();
        if (!done) {
            siteA.createNamespace(keptAs);
        }
        ObjectTransfer.Site from = new ObjectTransfer.Site(siteA, ns);
        ObjectTransfer.Site to = new ObjectTransfer.Site(siteA, keptAs);
        Map<String, Long> held = ObjectTransfer.held(to);
        Set<String> keys = new HashSet<>();
        List<Long> all = new ArrayList<>(ma.allTlogs());
        all.addAll(unpublished);
        for (long t : all) {
            boolean copied = done || held.containsKey(NamespaceLayout.tlogKey(t));
            List<ObjectTransfer.SealedSco> sealed = new ArrayList<>();
            if (!copied) {
                sealed = transfer.shipTlog(from, to, t, ma.config().clusterSize(), held);
            } else if (diverged.contains(t)) {
                ObjectTransfer.readTlog(from, t, ma.config().clusterSize(), sealed);
            }
            if (diverged.contains(t)) {
                keys.add(NamespaceLayout.tlogKey(t));
                sealed.forEach(s -> keys.add(s.key()));
            }
        }
        if (!done) {
            VolumeManifest.Config c = ma.config();
            List<Long> current = new ArrayList<>(ma.currentTlogs());
            current.addAll(unpublished);
            long nextTlog = Math.max(ma.nextTlogNumber(), unpublished.stream().mapToLong(Long::longValue).max().orElse(0) + 1);
            VolumeManifest copy = new VolumeManifest(VolumeManifest.SCHEMA_VERSION, 1, keptAs,
                    new VolumeManifest.Config(c.sizeBytes(), c.clusterSize(), c.scoSize(), keptAs), ma.parent(), false,
                    ma.snapshots(), current, ma.nextScoNumber(), nextTlog, ma.nextSnapshotId(),
                    VolumeManifest.newVolumeId(), ma.project()); // another volume: its own id, the same project
            manifests.publish(keptAs, copy);
        }
        return keys;
    }
}
