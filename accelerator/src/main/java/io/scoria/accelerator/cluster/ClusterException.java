package io.scoria.accelerator.cluster;

import io.scoria.accelerator.VolumeException;

/** The cluster's coordination failed: ZooKeeper unreachable, a znode that does not parse, a node id in use. */
public class ClusterException extends VolumeException {
    private static final long serialVersionUID = 1L;

    public ClusterException(String message) {
        super(message);
    }

    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
