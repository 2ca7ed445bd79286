package io.scoria.replicator;

import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.PreconditionFailedException;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.manifest.VolumeManifestStore;
import io.scoria.sco.replication.ReplicationState;
import io.scoria.sco.replication.VolumeIdentity;

import java.util.Optional;

/**
 * Reads and writes the two replication objects of a volume namespace (FORMATS.md, "Replication
 * state"): the source's {@link VolumeIdentity} and a replica's {@link ReplicationState}, and
 * decides whether a job may ship into a namespace. Stateless; every method is one or a few backend
 * calls, thread-safe as the stores are.
 */
final class ReplicaRoles {
    private ReplicaRoles() {
    }

    static String where(ObjectStore store, String ns) {
        return store.name() + ":" + ns;
    }

    /**
     * The volume's identity, made and stored on first use when {@code create} is set (the id is
     * the manifest's {@code volumeId}, or a random UUID for a volume whose manifest has none);
     * else empty when absent.
     */
    static Optional<VolumeIdentity> identity(ObjectStore store, String ns, boolean create) {
        Optional<VolumeIdentity> found = read(store, ns, VolumeIdentity.KEY)
                .map(b -> VolumeIdentity.decode(b, where(store, ns) + "/" + VolumeIdentity.KEY));
        if (found.isPresent() || !create) {
            return found;
        }
        String manifestId = new VolumeManifestStore(store).readLatest(ns).map(VolumeManifest::volumeId).orElse(null);
        VolumeIdentity fresh = VolumeIdentity.of(manifestId, System.currentTimeMillis());
        try {
            if (store.capabilities().conditionalPut()) {
                store.putIfAbsent(ns, VolumeIdentity.KEY, fresh.encode());
            } else {
                store.put(ns, VolumeIdentity.KEY, fresh.encode());
            }
        } catch (PreconditionFailedException e) {
            // another job made it first: use theirs
        }
        return identity(store, ns, false);
    }

    /**
     * Creates namespace {@code ns} on {@code store} for a copy of a volume that lives on the other
     * site: through a transform, a key ring shared with that site keeps the volume's own record
     * (its data key), which a plain create would replace with a new key and so make the other
     * site's copy unreadable ({@link TransformingObjectStore#createCopyNamespace}).
     */
    static void createCopyNamespace(ObjectStore store, String ns) {
        if (store instanceof TransformingObjectStore t) {
            t.createCopyNamespace(ns);
        } else {
            store.createNamespace(ns);
        }
    }

    static Optional<ReplicationState> state(ObjectStore store, String ns) {
        return ReplicationState.read(store, ns);
    }

    static void writeState(ObjectStore store, String ns, ReplicationState s) {
        store.put(ns, ReplicationState.KEY, s.encode());
    }

    private static Optional<java.nio.ByteBuffer> read(ObjectStore store, String ns, String key) {
        try {
            return Optional.of(store.get(ns, key));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Checks that {@code target:ns} may receive {@code source:ns} and returns its state, creating
     * the namespace and a new replica state when the target has neither.
     *
     * @throws ReplicaConflictException when the source is itself a replica, the target holds a
     *                                   volume that is not a replica of this one, or the replica
     *                                   was promoted
     */
    static ReplicationState claimReplica(ObjectStore source, ObjectStore target, String ns) {
        Optional<ReplicationState> onSource = state(source, ns);
        if (onSource.isPresent() && onSource.get().role() == ReplicationState.Role.REPLICA) {
            throw new ReplicaConflictException("source " + where(source, ns) + " is itself a replica (a fail-back into it is "
                    + "in progress or was interrupted): finish it with 'failback " + ns + "' first");
        }
        VolumeIdentity id = identity(source, ns, true).orElseThrow();
        boolean exists = target.namespaceExists(ns);
        Optional<ReplicationState> st = exists ? state(target, ns) : Optional.empty();
        if (st.isEmpty()) {
            if (exists && new VolumeManifestStore(target).readLatest(ns).isPresent()) {
                throw new ReplicaConflictException("target " + where(target, ns) + " already holds a volume '" + ns
                        + "' that is not a replica of " + where(source, ns) + " (it has no " + ReplicationState.KEY
                        + "): refusing to overwrite it; delete it on the target or replicate into another backend");
            }
            if (!exists) {
                createCopyNamespace(target, ns);
            }
            ReplicationState fresh = ReplicationState.newReplica(id.volumeId(), System.currentTimeMillis());
            writeState(target, ns, fresh);
            return fresh;
        }
        ReplicationState s = st.get();
        if (!s.volumeId().equals(id.volumeId())) {
            throw new ReplicaConflictException("target " + where(target, ns) + " holds a different volume of the same name "
                    + "(volume id " + s.volumeId() + ", the source's is " + id.volumeId() + "): refusing to replicate over it");
        }
        if (s.role() == ReplicationState.Role.PRIMARY) {
            throw new ReplicaConflictException("the replica " + where(target, ns) + " was promoted (epoch " + s.epoch()
                    + ") and is the writable volume now: nothing is shipped into it; use 'failback " + ns + "' to ship its "
                    + "writes back");
        }
        return s;
    }
}
