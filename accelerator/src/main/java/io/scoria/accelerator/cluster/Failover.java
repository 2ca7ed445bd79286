package io.scoria.accelerator.cluster;

import io.scoria.accelerator.VolumeOwnedElsewhereException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Takes over volumes whose owner is gone. A deleted {@code owner} znode (the owner's session ended:
 * it died, was cut off for longer than the session timeout, or stopped) is seen at once through a
 * {@link CuratorCache} on {@code volumes}; a periodic scan catches the rest. An orphaned volume is
 * taken at once by its FOC node (the live node that advertises the FOC address the last owner used, as
 * recorded per volume by {@link ClusterFocPlacement} or with the epoch:
 * it holds the unflushed writes, and no FOC traffic crosses the network for the replay), and by
 * any node once {@code grace} has passed, or at once if the FOC node is not alive. A volume whose
 * owner gave it up for a handover ({@link Znodes.Handover}) is taken the same way with the handover's
 * target in the FOC node's place: at once by the target, by others only if it is not alive or let
 * {@code grace} pass. Several nodes may
 * try: the lease transaction lets exactly one win. Taking over is {@link ClusterVolumeService#acquireAndOpen}:
 * a new epoch, then the engine's restart path (backend + FOC replay). All work runs on {@code events}
 * (one thread); {@link #close()} is idempotent.
 */
final class Failover implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Failover.class);

    private final CuratorFramework zk;
    private final Znodes paths;
    private final String nodeId;
    private final Membership membership;
    private final Leases leases;
    private final ClusterVolumeService volumes;
    private final Duration grace;
    private final ScheduledExecutorService events;
    /** Per volume: since when it has had no owner, for which last epoch (a new epoch is a new orphan). */
    private final Map<String, Orphan> orphanSince = new ConcurrentHashMap<>();
    private CuratorCache cache;
    private volatile boolean closed;

    Failover(CuratorFramework zk, Znodes paths, String nodeId, Membership membership, Leases leases,
             ClusterVolumeService volumes, Duration grace, ScheduledExecutorService events) {
        this.zk = zk;
        this.paths = paths;
        this.nodeId = nodeId;
        this.membership = membership;
        this.leases = leases;
        this.volumes = volumes;
        this.grace = grace;
        this.events = events;
    }

    /** Starts watching, and scans every {@code scanEvery}. */
    synchronized void start(Duration scanEvery) {
        cache = CuratorCache.build(zk, paths.volumes());
        cache.listenable().addListener(CuratorCacheListener.builder().forDeletes(this::deleted).build());
        cache.start();
        events.scheduleWithFixedDelay(this::scan, 0, scanEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void deleted(ChildData d) {
        String path = d.getPath();
        String prefix = paths.volumes() + "/";
        if (path.startsWith(prefix) && path.endsWith("/owner")) {
            String volume = path.substring(prefix.length(), path.length() - "/owner".length());
            events.execute(() -> consider(volume));
        }
    }

    private void scan() {
        if (closed) {
            return;
        }
        try {
            List<String> names;
            try {
                names = zk.getChildren().forPath(paths.volumes());
            } catch (KeeperException.NoNodeException none) {
                return;
            }
            for (String v : names) {
                consider(v);
            }
        } catch (Exception e) {
            LOG.debug("fail-over scan failed, retrying at the next: {}", e.toString());
        }
    }

    /** Takes {@code volume} if it has no owner and this node's turn has come. Runs on {@code events}. */
    private void consider(String volume) {
        if (closed || leases.held(volume) != null) {
            return;
        }
        try {
            if (zk.checkExists().forPath(paths.owner(volume)) != null) {
                orphanSince.remove(volume);
                return;
            }
            Znodes.Epoch last;
            try {
                last = Znodes.decode(zk.getData().forPath(paths.epoch(volume)), Znodes.Epoch.class, paths.epoch(volume));
            } catch (KeeperException.NoNodeException deleted) {
                orphanSince.remove(volume);
                return;
            }
            if (last.epoch() == 0) {
                return; // never owned: served when a client or the API first opens it
            }
            Map<String, Znodes.Member> live = membership.live();
            Znodes.Handover handover = leases.handover(volume);
            Znodes.Foc foc = leases.foc(volume);
            Znodes.Member preferred = handover != null && live.containsKey(handover.to()) ? live.get(handover.to())
                    : foc == null ? null : live.values().stream().filter(m -> foc.address().equals(m.foc()))
                    .findFirst().orElse(null);
            long now = System.nanoTime();
            // keyed by the epoch given up: a check scheduled in an earlier orphan episode must not count that
            // episode's wait against this one (quick successive handovers would let a third node take it)
            long since = orphanSince.compute(volume, (v, o) -> o != null && o.epoch() == last.epoch() ? o
                    : new Orphan(last.epoch(), now)).since();
            boolean myTurn = preferred == null || preferred.node().equals(nodeId) || now - since >= grace.toNanos();
            if (!myTurn) {
                events.schedule(() -> consider(volume), grace.toMillis() + 50, TimeUnit.MILLISECONDS);
                return;
            }
            long t0 = System.nanoTime();
            ClusterVolume v = volumes.acquireAndOpen(volume, true);
            orphanSince.remove(volume);
            LOG.info("volume {}: taken over by node {} at epoch {} (previous owner {}) in {} ms", volume, nodeId,
                    v.lease().epoch(), last.node(), (System.nanoTime() - t0) / 1_000_000);
        } catch (VolumeOwnedElsewhereException another) {
            orphanSince.remove(volume);
        } catch (Exception e) {
            LOG.warn("volume {}: take-over by node {} failed, retrying at the next scan: {}", volume, nodeId, e.toString());
        }
    }

    private record Orphan(long epoch, long since) {
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (cache != null) {
            cache.close();
        }
    }
}
