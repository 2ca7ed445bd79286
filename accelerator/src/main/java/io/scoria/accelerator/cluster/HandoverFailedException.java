package io.scoria.accelerator.cluster;

/**
 * A handover did not end with its target serving the volume: this node abandoned it before giving
 * the lease up (it still serves the volume), or it gave the lease up and the target did not open the
 * volume in time (another node, or none yet, serves it; fail-over takes it as after a crash). The
 * message says which. The REST API answers 503.
 */
public final class HandoverFailedException extends ClusterException {
    private static final long serialVersionUID = 1L;

    public HandoverFailedException(String message) {
        super(message);
    }

    public HandoverFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
