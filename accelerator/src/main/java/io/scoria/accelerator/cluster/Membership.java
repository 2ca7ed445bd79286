package io.scoria.accelerator.cluster;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * This node's ephemeral {@code nodes/NODE} znode ({@link Znodes.Member}): created at start (waiting
 * for a previous session of the same node id to expire, e.g. after {@code kill -9} and a quick
 * restart), created again after a new session replaced a lost one (retried every 500 ms until the old
 * session's znode is gone), its health updated in place; and
 * the list of live nodes. Thread-safe (the record is swapped under the monitor).
 */
final class Membership {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
    private static final Duration RETRY = Duration.ofMillis(500);

    private final CuratorFramework zk;
    private final Znodes paths;
    private final ScheduledExecutorService events;
    private Znodes.Member self;
    private boolean registered;

    Membership(CuratorFramework zk, Znodes paths, ScheduledExecutorService events) {
        this.zk = zk;
        this.paths = paths;
        this.events = events;
    }

    /**
     * Registers {@code member}, waiting up to {@code wait} for an older session's znode of the same id to go.
     *
     * @throws ClusterException if the id stays taken (another live process uses it) or ZooKeeper fails
     */
    synchronized void register(Znodes.Member member, Duration wait) {
        self = member;
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                if (create()) {
                    registered = true;
                    LOG.info("cluster node {} registered: nbd {} iscsi {} foc {} api {}", member.node(), member.nbd(),
                            member.iscsi(), member.foc(), member.api());
                    return;
                }
            } catch (Exception e) {
                throw new ClusterException("cannot register node " + member.node() + " in ZooKeeper: " + e, e);
            }
            if (System.nanoTime() > deadline) {
                throw new ClusterException("node id " + member.node() + " is registered by another live ZooKeeper session "
                        + "(another process with the same cluster.nodeId?); gave up after " + wait.toSeconds() + " s");
            }
            try {
                wait(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException("interrupted while registering node " + member.node());
            }
        }
    }

    /** Creates the znode; true if it is this session's now, false if another session holds it. */
    private boolean create() throws Exception {
        String path = paths.node(self.node());
        try {
            zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path, Znodes.encode(self));
            return true;
        } catch (KeeperException.NodeExistsException e) {
            Stat stat = zk.checkExists().forPath(path);
            return stat != null && stat.getEphemeralOwner() == zk.getZookeeperClient().getZooKeeper().getSessionId();
        }
    }

    /** Sets the advertised health ({@code ok}, {@code degraded}) if it changed. */
    synchronized void health(String health) {
        if (self == null || health.equals(self.health())) {
            return;
        }
        self = self.withHealth(health);
        try {
            zk.setData().forPath(paths.node(self.node()), Znodes.encode(self));
        } catch (Exception e) {
            LOG.warn("cannot update node {}'s health in ZooKeeper: {}", self.node(), e.toString());
        }
    }

    void stateChanged(ConnectionState state) {
        if (state == ConnectionState.RECONNECTED) {
            events.execute(this::reregister);
        }
    }

    private synchronized void reregister() {
        if (!registered) {
            return;
        }
        try {
            if (create()) {
                LOG.info("cluster node {} registered (again) in ZooKeeper session 0x{}", self.node(),
                        Long.toHexString(zk.getZookeeperClient().getZooKeeper().getSessionId()));
                return;
            }
            // a new session after a lost one: the old session's znode goes when ZooKeeper expires it
        } catch (Exception e) {
            LOG.warn("cannot register node {} again, retrying: {}", self.node(), e.toString());
        }
        events.schedule(this::reregister, RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The live nodes by id. */
    Map<String, Znodes.Member> live() {
        List<Znodes.Member> out = new ArrayList<>();
        try {
            for (String id : zk.getChildren().forPath(paths.nodes())) {
                try {
                    out.add(Znodes.decode(zk.getData().forPath(paths.node(id)), Znodes.Member.class, paths.node(id)));
                } catch (KeeperException.NoNodeException left) {
                    // left meanwhile
                }
            }
        } catch (KeeperException.NoNodeException none) {
            return Map.of();
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new ClusterException("cannot list the cluster's nodes in ZooKeeper: " + e, e);
        }
        return out.stream().collect(Collectors.toMap(Znodes.Member::node, Function.identity()));
    }
}
