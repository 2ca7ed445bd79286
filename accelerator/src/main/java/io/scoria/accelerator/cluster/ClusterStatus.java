package io.scoria.accelerator.cluster;

import java.util.List;

/**
 * What {@code scoria cluster status} and {@code GET /v1/cluster} show: the live nodes with the
 * volumes each owns, and every volume the cluster knows with its owner (null: none right now,
 * e.g. during a fail-over), epoch and FOC node. A snapshot read from ZooKeeper; immutable.
 *
 * @param self    the node that answered
 * @param nodes   live nodes, by id
 * @param volumes volumes that were ever owned in the cluster, by name
 */
public record ClusterStatus(String self, List<Node> nodes, List<VolumeOwner> volumes) {
    public ClusterStatus {
        nodes = List.copyOf(nodes);
        volumes = List.copyOf(volumes);
    }

    /** A live node: addresses (HOST:PORT; foc null if it runs none), health, and the volumes it owns. */
    public record Node(String node, String nbd, String iscsi, String foc, String api, String health,
                       List<String> volumes) {
        public Node {
            volumes = List.copyOf(volumes);
        }
    }

    /**
     * A volume: its owner (null if none now) and epoch (the last granted), its FOC address and the live
     * node that advertises it (null if none).
     */
    public record VolumeOwner(String volume, String owner, long epoch, String foc, String focNode) {
    }
}
