package io.scoria.accelerator;

/**
 * The volume is being handed over (or was handed over) to another node of the cluster: this node
 * takes no new request for it and acknowledges nothing more of it. The request was not acknowledged;
 * the client reconnects to the new owner (named in the message) and retries it there. NBD answers
 * {@code ESHUTDOWN} and closes the connection.
 */
public final class VolumeMovedException extends VolumeFencedException {
    private static final long serialVersionUID = 1L;

    private final String target;

    public VolumeMovedException(String volume, String target) {
        super("volume '" + volume + "' is moving to node " + target + "; reconnect to its owner (scoria cluster status)"
                + " and retry");
        this.target = target;
    }

    /** The node the volume is handed to. */
    public String target() {
        return target;
    }
}
