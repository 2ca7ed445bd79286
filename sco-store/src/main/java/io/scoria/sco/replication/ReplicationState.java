package io.scoria.sco.replication;

import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.ScoFormatException;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.Optional;

/**
 * The replication state of one volume on a backend (FORMATS.md, "Replication state"): object
 * {@link #KEY} in the volume's namespace on the site that receives or received a replica. It
 * records which volume the namespace replicates ({@link VolumeIdentity#volumeId()}), whether the
 * namespace is a read-only replica or was promoted to the writable copy, and the fencing epoch
 * that every promote and fail-back raises. Written with one whole-object put (atomic on every
 * store). Immutable.
 *
 * @param formatVersion    {@link #FORMAT_VERSION} (2: {@code volumeId} as a version 2 {@link VolumeIdentity}); version
 *                         1 (a UUID only) is still read; readers refuse any other value
 * @param volumeId         identity of the replicated volume (its source's {@link VolumeIdentity})
 * @param role             {@link Role#REPLICA} or {@link Role#PRIMARY}
 * @param epoch            raised by every promote and fail-back; a job holding an older epoch stops
 * @param sourceGeneration the source manifest generation last shipped completely (0: none yet)
 * @param targetGeneration the manifest generation that names it on this backend (0: none yet)
 * @param updatedMillis    wall clock of the last change, for operators
 */
public record ReplicationState(int formatVersion, String volumeId, Role role, long epoch, long sourceGeneration,
                               long targetGeneration, long updatedMillis) {
    public static final int FORMAT_VERSION = 2;
    /** Object key inside the volume's namespace. */
    public static final String KEY = "replication/state";

    /** What the namespace holding this state is. */
    public enum Role {
        /** A read-only copy that a replication job keeps shipping into. */
        REPLICA,
        /** Promoted: the writable volume; no job ships into it any more. */
        PRIMARY
    }


    public ReplicationState {
        if (formatVersion != FORMAT_VERSION && formatVersion != VolumeIdentity.FORMAT_VERSION_1) {
            throw new ScoFormatException("replication state format version " + formatVersion
                    + " is not supported (this build reads " + VolumeIdentity.FORMAT_VERSION_1 + " and " + FORMAT_VERSION + ")");
        }
        VolumeIdentity.checkId(formatVersion, volumeId);
        Objects.requireNonNull(role, "role");
        if (epoch < 0 || sourceGeneration < 0 || targetGeneration < 0) {
            throw new ScoFormatException("replication state: epoch and generations must be >= 0");
        }
    }

    /** The state of a new replica of {@code volumeId}: nothing shipped yet. */
    public static ReplicationState newReplica(String volumeId, long nowMillis) {
        return new ReplicationState(FORMAT_VERSION, volumeId, Role.REPLICA, 0, 0, 0, nowMillis);
    }

    public ReplicationState withShipped(long sourceGen, long targetGen, long nowMillis) {
        return new ReplicationState(FORMAT_VERSION, volumeId, role, epoch, sourceGen, targetGen, nowMillis);
    }

    /** The same state with another role and the epoch raised by one. */
    public ReplicationState withRole(Role newRole, long nowMillis) {
        return new ReplicationState(FORMAT_VERSION, volumeId, newRole, epoch + 1, sourceGeneration, targetGeneration, nowMillis);
    }

    public ByteBuffer encode() {
        return ReplicationJson.encode(this);
    }

    /**
     * Reads the state of {@code namespace} on {@code store}; empty when the namespace has none
     * (a volume that is neither a replica nor was ever promoted or failed back).
     *
     * @throws ScoFormatException when the object is damaged (naming it)
     */
    public static Optional<ReplicationState> read(ObjectStore store, String namespace) {
        try {
            return Optional.of(decode(store.get(namespace, KEY), store.name() + ":" + namespace + "/" + KEY));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /** @param what names the object in error messages */
    public static ReplicationState decode(ByteBuffer data, String what) {
        return ReplicationJson.decode(data, ReplicationState.class, what, "replication state");
    }
}
