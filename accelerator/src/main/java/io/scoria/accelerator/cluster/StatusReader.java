package io.scoria.accelerator.cluster;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Reads a {@link ClusterStatus} from ZooKeeper (a few reads per volume); stateless apart from its handles. */
final class StatusReader {
    private final CuratorFramework zk;
    private final Znodes paths;
    private final Membership membership;
    private final String self;

    StatusReader(CuratorFramework zk, Znodes paths, Membership membership, String self) {
        this.zk = zk;
        this.paths = paths;
        this.membership = membership;
        this.self = self;
    }

    ClusterStatus read() {
        Map<String, Znodes.Member> live = membership.live();
        List<ClusterStatus.VolumeOwner> volumes = new ArrayList<>();
        try {
            List<String> names;
            try {
                names = zk.getChildren().forPath(paths.volumes());
            } catch (KeeperException.NoNodeException none) {
                names = List.of();
            }
            for (String v : names) {
                Znodes.Epoch epoch;
                try {
                    epoch = Znodes.decode(zk.getData().forPath(paths.epoch(v)), Znodes.Epoch.class, paths.epoch(v));
                } catch (KeeperException.NoNodeException deleted) {
                    continue;
                }
                String owner = null;
                long ownerEpoch = epoch.epoch();
                try {
                    Znodes.Owner o = Znodes.decode(zk.getData().forPath(paths.owner(v)), Znodes.Owner.class, paths.owner(v));
                    owner = o.node();
                    ownerEpoch = o.epoch();
                } catch (KeeperException.NoNodeException none) {
                    // no owner right now
                }
                String foc = epoch.foc();
                try {
                    foc = Znodes.decode(zk.getData().forPath(paths.foc(v)), Znodes.Foc.class, paths.foc(v)).address();
                } catch (KeeperException.NoNodeException none) {
                    // a FOC not placed per volume: the one the last epoch's owner used
                }
                String at = foc;
                String focNode = at == null ? null : live.values().stream()
                        .filter(m -> at.equals(m.foc())).map(Znodes.Member::node).findFirst().orElse(null);
                volumes.add(new ClusterStatus.VolumeOwner(v, owner, ownerEpoch, foc, focNode));
            }
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new ClusterException("cannot read the cluster's volumes from ZooKeeper: " + e, e);
        }
        volumes.sort(Comparator.comparing(ClusterStatus.VolumeOwner::volume));
        List<ClusterStatus.Node> nodes = live.values().stream().sorted(Comparator.comparing(Znodes.Member::node))
                .map(m -> new ClusterStatus.Node(m.node(), m.nbd(), m.iscsi(), m.foc(), m.api(), m.health(),
                        volumes.stream().filter(o -> m.node().equals(o.owner())).map(ClusterStatus.VolumeOwner::volume).toList()))
                .toList();
        return new ClusterStatus(self, nodes, volumes);
    }
}
