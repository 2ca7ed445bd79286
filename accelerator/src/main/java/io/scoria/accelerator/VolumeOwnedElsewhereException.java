package io.scoria.accelerator;

/**
 * The volume is owned by another node of the cluster; a client must connect to that node
 * (its NBD address is in the message and {@link #ownerNbd()}).
 */
public final class VolumeOwnedElsewhereException extends VolumeConflictException {
    private static final long serialVersionUID = 1L;

    private final String owner;
    private final String ownerNbd;

    public VolumeOwnedElsewhereException(String volume, String owner, long epoch, String ownerNbd) {
        super("volume '" + volume + "' is owned by node " + owner + " (epoch " + epoch + "); connect to nbd://"
                + (ownerNbd == null ? "<unknown: the node is not registered>" : ownerNbd) + "/" + volume);
        this.owner = owner;
        this.ownerNbd = ownerNbd;
    }

    public String owner() {
        return owner;
    }

    /** HOST:PORT of the owner's NBD server, or null if it is not registered right now. */
    public String ownerNbd() {
        return ownerNbd;
    }
}
