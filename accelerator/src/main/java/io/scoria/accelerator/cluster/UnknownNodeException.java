package io.scoria.accelerator.cluster;

import java.util.Collection;
import java.util.TreeSet;

/** A request named a node that is not a live member of the cluster (the REST API answers 400). */
public final class UnknownNodeException extends ClusterException {
    private static final long serialVersionUID = 1L;

    private final String node;

    public UnknownNodeException(String node, Collection<String> live) {
        super("no live node '" + node + "' in the cluster; live nodes: " + String.join(", ", new TreeSet<>(live)));
        this.node = node;
    }

    /** The node asked for. */
    public String node() {
        return node;
    }
}
