package io.scoria.accelerator.cluster;

import io.scoria.accelerator.VolumeConflictException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Moves volumes this node owns to other nodes: {@code scoria volume move} and, when the node stops,
 * every volume it owns ({@link #leaveAll}). The old owner refuses new requests for the volume
 * ({@link io.scoria.accelerator.VolumeMovedException}: NBD answers ESHUTDOWN and closes, the client
 * reconnects to the new owner), makes everything it acknowledged durable on the backend and publishes
 * the manifest under its epoch, then gives the lease up for the target in one ZooKeeper transaction
 * ({@link ClusterVolumeService#release}). The target's {@link Failover} sees the owner znode go, takes the
 * lease (next epoch) at once, opens the volume from the backend and the FOC, and deletes the handover
 * znode, which this class waits for. Thread-safe: moves of one node run one at a time
 * (the service's monitor covers the release; the wait is a poll of one znode every 2 ms).
 */
final class Handover {
    private static final Logger LOG = LoggerFactory.getLogger(Handover.class);
    static final Duration UPLOAD_TIMEOUT = Duration.ofSeconds(30);
    static final Duration TAKE_TIMEOUT = Duration.ofSeconds(30);

    private final CuratorFramework zk;
    private final Znodes paths;
    private final String nodeId;
    private final Membership membership;
    private final Leases leases;
    private final ClusterVolumeService volumes;
    private final StatusReader status;

    Handover(CuratorFramework zk, Znodes paths, String nodeId, Membership membership, Leases leases,
             ClusterVolumeService volumes, StatusReader status) {
        this.zk = zk;
        this.paths = paths;
        this.nodeId = nodeId;
        this.membership = membership;
        this.leases = leases;
        this.volumes = volumes;
        this.status = status;
    }

    /** See {@link ClusterControl#move}. */
    MoveResult move(String volume, String to) {
        Map<String, Znodes.Member> live = membership.live();
        if (!live.containsKey(to)) {
            throw new UnknownNodeException(to, live.keySet());
        }
        ClusterVolume cv = (ClusterVolume) volumes.open(volume); // owned elsewhere: refused, naming the owner
        if (to.equals(nodeId)) {
            throw new VolumeConflictException("volume '" + volume + "' is already owned by node " + to
                    + " (the node asked); nothing to move");
        }
        LOG.info("volume {}: handing over from node {} (epoch {}) to node {}", volume, nodeId, cv.lease().epoch(), to);
        ClusterVolumeService.Released r = volumes.release(cv, to, UPLOAD_TIMEOUT);
        Znodes.Owner owner = awaitOpened(volume, r.epoch(), to);
        long serving = System.nanoTime();
        MoveResult result = new MoveResult(volume, nodeId, owner.node(), r.epoch(), owner.epoch(),
                millis(serving - r.lastAcknowledged()), millis(r.released() - r.fenced()), millis(serving - r.released()));
        LOG.info("volume {}: handed over to node {} (epoch {}): pause {} ms (drain {} ms, take-over {} ms)", volume,
                to, owner.epoch(), result.pauseMs(), result.drainMs(), result.takeoverMs());
        return result;
    }

    /**
     * Waits until the handover znode of epoch {@code epoch} is gone (a node opened the volume) and
     * returns the owner then; it must be {@code to}.
     */
    private Znodes.Owner awaitOpened(String volume, long epoch, String to) {
        long deadline = System.nanoTime() + TAKE_TIMEOUT.toNanos();
        try {
            while (true) {
                Znodes.Handover h = leases.handover(volume);
                if (h == null || h.epoch() != epoch) {
                    Znodes.Owner owner = owner(volume);
                    if (owner != null && owner.node().equals(to)) {
                        return owner;
                    }
                    throw new HandoverFailedException("volume '" + volume + "': node " + to + " did not take it over; "
                            + (owner == null ? "no node serves it right now (fail-over takes it)"
                            : "node " + owner.node() + " serves it now (epoch " + owner.epoch() + ")"));
                }
                if (System.nanoTime() > deadline) {
                    throw new HandoverFailedException("volume '" + volume + "': node " + to + " did not open it within "
                            + TAKE_TIMEOUT.toSeconds() + " s after this node gave the lease up; fail-over takes it "
                            + "(any node after cluster.takeoverGrace)");
                }
                LockSupport.parkNanos(2_000_000);
            }
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new HandoverFailedException("volume '" + volume + "': cannot follow the handover to node " + to
                    + " in ZooKeeper: " + e, e);
        }
    }

    private Znodes.Owner owner(String volume) throws Exception {
        try {
            return Znodes.decode(zk.getData().forPath(paths.owner(volume)), Znodes.Owner.class, paths.owner(volume));
        } catch (KeeperException.NoNodeException none) {
            return null;
        }
    }

    /**
     * Hands every volume this node owns to another live node (rolling restart); a volume for which no
     * other node is alive, or whose handover fails, stays here and closes with the node (its lease ends
     * with the session and fail-over takes it).
     */
    void leaveAll() {
        for (ClusterVolume cv : volumes.owned()) {
            String volume = cv.name();
            String to;
            try {
                to = target(volume);
            } catch (RuntimeException e) {
                LOG.warn("volume {}: cannot choose a node to hand it to; it closes here: {}", volume, e.toString());
                continue;
            }
            if (to == null) {
                LOG.info("volume {}: no other live node; it closes here", volume);
                continue;
            }
            try {
                move(volume, to);
            } catch (RuntimeException e) {
                LOG.warn("volume {}: handover to node {} failed at shutdown: {}", volume, to, e.getMessage());
            }
        }
    }

    /**
     * The placement policy of fail-over: the live node that advertises the FOC address the volume uses
     * (it holds the unflushed writes), else the live node owning the fewest volumes (then by id); never
     * this node. Null if no other node is alive.
     */
    String target(String volume) {
        ClusterStatus s = status.read();
        String focNode = s.volumes().stream().filter(v -> v.volume().equals(volume)).findFirst()
                .map(ClusterStatus.VolumeOwner::focNode).orElse(null);
        if (focNode != null && !focNode.equals(nodeId)) {
            return focNode;
        }
        return s.nodes().stream().filter(n -> !n.node().equals(nodeId))
                .min(Comparator.comparingInt((ClusterStatus.Node n) -> n.volumes().size()).thenComparing(ClusterStatus.Node::node))
                .map(ClusterStatus.Node::node).orElse(null);
    }

    private static long millis(long nanos) {
        return Math.max(0, nanos / 1_000_000);
    }
}
