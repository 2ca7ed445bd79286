package io.scoria.accelerator.cluster;

/**
 * What the cluster needs of this node's engine besides {@link io.scoria.accelerator.VolumeService}:
 * closing one volume (its lease is gone) and forgetting its local copy (another node owned it since,
 * so local flash is older than the backend and the FOC). Implemented by the {@code cli} wiring over
 * the engine and the FOC wiring; thread-safe.
 */
public interface LocalCopies {
    /** Closes the volume on this node if it is open; it reopens on the next open. */
    void close(String volume);

    /**
     * Closes the volume (sealing its SCO and TLog) and waits until every upload queued on this node, the
     * volume's last TLog and manifest publish among them, is on the backend: the old owner's half of a
     * handover.
     *
     * @throws ClusterException if the uploads are not done within {@code timeout}
     */
    void closeAndUpload(String volume, java.time.Duration timeout);

    /** Forgets this node's local copy of a closed volume: the next open rebuilds it from the backend and the FOC. */
    void forget(String volume);
}
