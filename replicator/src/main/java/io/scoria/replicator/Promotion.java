package io.scoria.replicator;

import io.scoria.backend.ObjectStore;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;

/**
 * The {@code promote} command: makes a replica the writable volume at its last consistent point
 * (the newest manifest on the target, which names only TLogs the target holds). Its
 * {@link ReplicationState} becomes {@link ReplicationState.Role#PRIMARY} with the epoch raised, so
 * every replication job refuses to ship into it from then on (a job in the middle of a pass reads
 * the state again before it publishes); then that manifest is published again one generation
 * higher, put-if-absent where the store supports it, so a job that published concurrently
 * either lost that race or is overtaken. A few backend calls; stateless.
 */
final class Promotion {
    /** The point the volume was promoted at. */
    record Promoted(String volume, long epoch, VolumeManifest manifest) {
    }

    private Promotion() {
    }

    static Promoted promote(ObjectStore target, String ns) {
        String where = ReplicaRoles.where(target, ns);
        ReplicationState s = ReplicaRoles.state(target, ns).orElseThrow(() ->
                new ReplicaConflictException(where + " is not a replica (no replication state): nothing to promote"));
        if (s.role() == ReplicationState.Role.PRIMARY) {
            throw new ReplicaConflictException(where + " was already promoted (epoch " + s.epoch() + ")");
        }
        VolumeManifestStore manifests = new VolumeManifestStore(target);
        VolumeManifest last = manifests.readLatest(ns).orElseThrow(() ->
                new ReplicationException(where + " holds no manifest yet: nothing was shipped, nothing to promote"));
        ReplicationState promoted = s.withRole(ReplicationState.Role.PRIMARY, System.currentTimeMillis());
        ReplicaRoles.writeState(target, ns, promoted);
        VolumeManifest point = last;
        for (int attempt = 0; attempt < 3 && point == last; attempt++) {
            VolumeManifest newest = manifests.readLatest(ns).orElse(last);
            VolumeManifest next = newest.withGeneration(newest.generation() + 1);
            try {
                manifests.publish(ns, next);
                point = next;
            } catch (PreconditionFailedException e) {
                // a job's manifest of that generation landed just before: publish over the newer one
            }
        }
        if (point == last) {
            throw new ReplicationException(where + ": the manifest generation kept moving while promoting; is a router or a "
                    + "job writing the replica?");
        }
        return new Promoted(point.name(), promoted.epoch(), point);
    }
}
