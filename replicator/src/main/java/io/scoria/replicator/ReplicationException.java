package io.scoria.replicator;

/** Root of the replication job's errors: the message says which volume and object, and why. */
public class ReplicationException extends RuntimeException {
    public ReplicationException(String message) {
        super(message);
    }

    public ReplicationException(String message, Throwable cause) {
        super(message, cause);
    }
}
