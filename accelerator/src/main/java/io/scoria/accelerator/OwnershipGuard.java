package io.scoria.accelerator;

/**
 * Whether this node may change a volume's objects on the backend, asked by the engine before every
 * upload and manifest publish (DESIGN.md, "Ownership and fencing" in accelerator/ARCHITECTURE.md).
 * A single router owns every volume ({@link #SINGLE_NODE}); in a cluster the implementation is the
 * node's ownership leases in ZooKeeper, and a manifest publish becomes a compare-and-set on the
 * volume's epoch there, so fencing works on backends without conditional puts.
 *
 * <p>{@link #epoch} and {@link #check} are cheap (local state, no I/O) and may be called on any
 * thread; {@link #reservePublish} does a round trip to the coordination service and is called on
 * the upload thread only. Implementations are thread-safe.
 */
public interface OwnershipGuard {
    /** The epoch under which this node holds {@code volume}, or 0 when it holds no lease on it. */
    long epoch(String volume);

    /**
     * Returns normally if this node holds {@code volume} under {@code epoch} and the lease is live now.
     *
     * @throws VolumeFencedException if the lease is suspended (coordination service unreachable), lost,
     *         or of another epoch
     */
    void check(String volume, long epoch);

    /**
     * Reserves manifest generation {@code generation} (or a larger one) of {@code volume} for a publish
     * under {@code epoch} and returns the generation to publish.
     *
     * @throws StaleEpochException if another node was granted the volume under a later epoch
     * @throws VolumeFencedException if the lease is not live now (the publish may be retried)
     */
    long reservePublish(String volume, long epoch, long generation);

    /**
     * Reserves numbers for new SCOs and TLogs of {@code volume} under {@code epoch}: the returned ranges
     * start at {@code nextSco} and {@code nextTlog} or above (above every number an earlier epoch may have
     * used) and no other epoch is ever given a number in them. Called when a volume opens and when a range
     * runs out; a round trip to the coordination service.
     *
     * @throws StaleEpochException if another node was granted the volume under a later epoch
     * @throws VolumeFencedException if the lease is not live now
     */
    NumberReservation reserveNumbers(String volume, long epoch, long nextSco, long nextTlog);

    /** One router, owner of every volume: epoch 1 always, every check passes, generations and numbers unchanged. */
    OwnershipGuard SINGLE_NODE = new OwnershipGuard() {
        @Override
        public long epoch(String volume) {
            return 1;
        }

        @Override
        public void check(String volume, long epoch) {
        }

        @Override
        public long reservePublish(String volume, long epoch, long generation) {
            return generation;
        }

        @Override
        public NumberReservation reserveNumbers(String volume, long epoch, long nextSco, long nextTlog) {
            return new NumberReservation(epoch, nextSco, Long.MAX_VALUE, nextTlog, Long.MAX_VALUE);
        }
    };
}
