package io.scoria.replicator;

/**
 * The other site's namespace is not a replica this job may write: it holds a different volume of
 * the same name, a volume that was never replicated, or a replica that was promoted.
 */
public class ReplicaConflictException extends ReplicationException {
    public ReplicaConflictException(String message) {
        super(message);
    }
}
