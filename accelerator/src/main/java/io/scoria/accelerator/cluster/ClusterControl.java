package io.scoria.accelerator.cluster;

/** What the REST API asks of this router's cluster node. Implementations are thread-safe. */
public interface ClusterControl {
    /** The cluster as ZooKeeper holds it now. */
    ClusterStatus status();

    /**
     * Hands {@code volume}, which this node owns (or takes, if no node does), to live node {@code to} and
     * returns once {@code to} serves it.
     *
     * @throws UnknownNodeException if {@code to} is not a live node
     * @throws io.scoria.accelerator.VolumeOwnedElsewhereException if another node owns the volume
     * @throws io.scoria.accelerator.VolumeConflictException if {@code to} is this node
     * @throws HandoverFailedException if the handover was abandoned or its target did not take the volume
     */
    MoveResult move(String volume, String to);
}
