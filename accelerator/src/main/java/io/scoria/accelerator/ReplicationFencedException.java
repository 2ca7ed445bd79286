package io.scoria.accelerator;

/**
 * The volume may no longer change on this router: another site took it over. Its backend
 * namespace's replication state changed since the volume was opened (a {@code replicate promote}
 * or {@code failback} raised the epoch), or another writer published a manifest generation this
 * router did not write. The volume stops uploading and refuses every write (NBD: EPERM) until it
 * is closed and opened again, which reads what the backend holds then. A subclass of
 * {@link ReadOnlyVolumeException}, so every frontend refuses writes as for a read-only volume.
 * (Not a {@link VolumeFencedException}: that is the cluster's lease fence, which may lift again.)
 */
public class ReplicationFencedException extends ReadOnlyVolumeException {
    private static final long serialVersionUID = 1L;

    public ReplicationFencedException(String message) {
        super(message);
    }
}
