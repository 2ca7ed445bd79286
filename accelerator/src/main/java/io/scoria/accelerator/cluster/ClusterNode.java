package io.scoria.accelerator.cluster;

import io.scoria.accelerator.OwnershipGuard;
import io.scoria.accelerator.VolumeService;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This router as one node of a cluster: its ZooKeeper session (Curator), its leases (the engine's
 * {@link #ownership()} guard), its membership, its view of the cluster and its fail-over of orphaned
 * volumes, and its handovers ({@link #move}, {@link #leave}). Built in three steps because the engine needs the guard before the frontends exist and
 * the membership needs the frontends' bound ports: {@link #connect}, then {@link #volumes} wraps the
 * engine, then {@link #start} registers and begins taking over. Cluster events run on one thread
 * ({@code scoria-cluster}). {@link #close()} is idempotent; it ends the session, which releases every
 * lease this node still holds.
 */
public final class ClusterNode implements ClusterControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);
    private static final Duration HEALTH_EVERY = Duration.ofSeconds(5);
    private static final Duration FOC_CHECK_EVERY = Duration.ofSeconds(1);

    private final ClusterConfig config;
    private final CuratorFramework zk;
    private final Znodes paths;
    private final ScheduledExecutorService events;
    private final Leases leases;
    private final Membership membership;
    private final StatusReader status;
    private final ClusterFocPlacement focPlacement;
    private final ScheduledExecutorService focMoves;
    private ClusterVolumeService volumes;
    private volatile Failover failover;
    private Handover handover;
    private boolean closed;

    private ClusterNode(ClusterConfig config, CuratorFramework zk, String focAddress) {
        this.config = config;
        this.zk = zk;
        this.paths = new Znodes(config.root());
        this.events = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scoria-cluster");
            t.setDaemon(true);
            return t;
        });
        this.leases = new Leases(zk, paths, config.nodeId(), focAddress, events, this::leaseLost, this::reclaim);
        this.membership = new Membership(zk, paths, events);
        this.status = new StatusReader(zk, paths, membership, config.nodeId());
        this.focPlacement = new ClusterFocPlacement(leases, membership, config.nodeId(), config.sessionTimeoutDuration());
        this.focMoves = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "scoria-foc-placement");
            t.setDaemon(true);
            return t;
        });
        zk.getConnectionStateListenable().addListener((client, state) -> {
            leases.stateChanged(state);
            membership.stateChanged(state);
        });
    }

    /**
     * Opens a ZooKeeper session as {@code config} says and waits for it.
     *
     * @param focAddress the FOC address this node's volumes use ({@code foc.address}; null: none), recorded
     *                   with each epoch so that fail-over prefers the node that advertises it
     * @throws ClusterException if ZooKeeper does not answer within {@code connectTimeout}
     */
    public static ClusterNode connect(ClusterConfig config, String focAddress) {
        int sessionMs = (int) config.sessionTimeoutDuration().toMillis();
        int connectMs = (int) config.connectTimeoutDuration().toMillis();
        CuratorFramework zk = CuratorFrameworkFactory.builder().connectString(config.zookeeper())
                .sessionTimeoutMs(sessionMs).connectionTimeoutMs(Math.min(connectMs, sessionMs))
                .retryPolicy(new ExponentialBackoffRetry(100, 3, 1000)).build();
        ClusterNode node = new ClusterNode(config, zk, focAddress);
        zk.start();
        try {
            if (!zk.blockUntilConnected(connectMs, TimeUnit.MILLISECONDS)) {
                throw new ClusterException("ZooKeeper " + config.zookeeper() + " did not answer within "
                        + config.connectTimeout() + " (cluster.zookeeper, cluster.connectTimeout)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            node.close();
            throw new ClusterException("interrupted while connecting to ZooKeeper " + config.zookeeper());
        } catch (ClusterException e) {
            node.close();
            throw e;
        }
        LOG.info("cluster node {} connected to ZooKeeper {} (session timeout {})", config.nodeId(), config.zookeeper(),
                config.sessionTimeout());
        return node;
    }

    /**
     * Where each volume's fail-over cache goes when the node has no {@code foc.address}: on another node
     * ({@link ClusterFocPlacement}); moves start with {@link #moveFocsThrough}.
     */
    public ClusterFocPlacement focPlacement() {
        return focPlacement;
    }

    /** Starts moving the FOCs of volumes owned here whose FOC node left or stayed unreachable, through {@code links}. */
    public void moveFocsThrough(FocLinks links) {
        focPlacement.start(links, focMoves, FOC_CHECK_EVERY);
    }

    /** The engine's guard: this node's leases. */
    public OwnershipGuard ownership() {
        return leases;
    }

    /**
     * The cluster's {@link VolumeService} over {@code engine}; closing it closes {@code engine}, then this node.
     */
    public synchronized VolumeService volumes(VolumeService engine, LocalCopies local) {
        if (volumes != null) {
            throw new IllegalStateException("the cluster node already wraps a volume service");
        }
        volumes = new ClusterVolumeService(Objects.requireNonNull(engine, "engine"), Objects.requireNonNull(local, "local"),
                leases, config.nodeId(), membership, config.sessionTimeoutDuration(), this);
        return volumes;
    }

    /**
     * Registers this node with {@code addresses} (HOST:PORT each; foc may be null) and starts taking over
     * orphaned volumes; waits up to the session timeout (plus 5 s) for a previous session of this node id to end.
     */
    public synchronized void start(String nbd, String iscsi, String foc, String api) {
        if (volumes == null) {
            throw new IllegalStateException("wrap the engine with volumes() before start()");
        }
        membership.register(new Znodes.Member(config.nodeId(), nbd, iscsi, foc, api, "ok"),
                config.sessionTimeoutDuration().plusSeconds(5));
        failover = new Failover(zk, paths, config.nodeId(), membership, leases, volumes, config.takeoverGraceDuration(), events);
        failover.start(config.sessionTimeoutDuration().dividedBy(2));
        handover = new Handover(zk, paths, config.nodeId(), membership, leases, volumes, status);
        events.scheduleWithFixedDelay(this::refreshHealth, HEALTH_EVERY.toMillis(), HEALTH_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** The cluster as ZooKeeper holds it now. */
    @Override
    public ClusterStatus status() {
        return status.read();
    }

    @Override
    public MoveResult move(String volume, String to) {
        Handover h;
        synchronized (this) {
            if (handover == null || closed) {
                throw new IllegalStateException("the cluster node is not started or is closed");
            }
            h = handover;
        }
        return h.move(volume, to);
    }

    /**
     * Before the node stops (SIGTERM): stops taking volumes over, then hands every volume it owns to
     * another live node (the placement policy of fail-over); with no other node alive they just close
     * with the node. Idempotent in effect (a second call finds nothing owned that can move).
     */
    public void leave() {
        Handover h;
        synchronized (this) {
            if (handover == null || closed) {
                return;
            }
            failover.close();
            h = handover;
        }
        h.leaveAll();
    }

    public String nodeId() {
        return config.nodeId();
    }

    private void leaseLost(Lease lease) {
        ClusterVolumeService v = volumes;
        if (v != null) {
            v.leaseLost(lease);
        }
    }

    /** After a new session replaced a lost one: takes back a volume this node owned (see {@link Leases}). */
    private void reclaim(String volume) {
        ClusterVolumeService v = volumes;
        Failover f = failover;
        if (v == null || f == null || f.isClosed()) {
            return;
        }
        try {
            ClusterVolume cv = v.acquireAndOpen(volume, true);
            LOG.info("volume {}: taken back by node {} in its new ZooKeeper session at epoch {}", volume, config.nodeId(),
                    cv.lease().epoch());
        } catch (RuntimeException e) {
            LOG.info("volume {}: not taken back after the session was lost ({}); fail-over decides", volume, e.getMessage());
        }
    }

    /** {@code degraded} while a volume this node owns is not OK (its FOC unreachable, or its lease suspended). */
    private void refreshHealth() {
        ClusterVolumeService v = volumes;
        boolean degraded = v != null && v.owned().stream().anyMatch(cv -> cv.lease().state() != Lease.State.LIVE
                || !v.info(cv.name()).map(i -> "OK".equals(i.state())).orElse(true));
        membership.health(degraded ? "degraded" : "ok");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (failover != null) {
            failover.close();
        }
        focMoves.shutdownNow();
        events.shutdownNow();
        zk.close();
        LOG.info("cluster node {} left the cluster", config.nodeId());
    }
}
