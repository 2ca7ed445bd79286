package io.scoria.accelerator.cluster;

import io.scoria.accelerator.NumberReservation;
import io.scoria.accelerator.OwnershipGuard;
import io.scoria.accelerator.StaleEpochException;
import io.scoria.accelerator.VolumeFencedException;
import io.scoria.accelerator.VolumeOwnedElsewhereException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * This node's ownership leases, one per volume it owns, held in ZooKeeper ({@link Znodes}), and the
 * engine's {@link OwnershipGuard} over them. A grant is one transaction: the volume's {@code epoch}
 * znode is set to the next epoch under the version just read, and its ephemeral {@code owner} znode is
 * created; if either fails, nothing changed. A manifest publish reserves its generation by a
 * transaction that checks the {@code epoch} znode's version is still the one of this node's grant and
 * sets {@code published}: a node whose epoch was superseded can never publish again.
 *
 * <p>Session events ({@link #stateChanged}): SUSPENDED suspends every lease at once (no write is
 * acknowledged, no upload or publish happens); RECONNECTED checks each owner znode is still this
 * session's and resumes it, else loses it; LOST loses them all. A lost lease is removed and handed to
 * {@code onLost} on {@code events}; a lease lost with its session is handed to {@code onReclaim} once a
 * new session is up, and a grant then replaces the lost session's owner znode (this node's, from a
 * session of this process that is over) if no other node was granted the volume meanwhile. Thread-safe: the table is a concurrent map, ZooKeeper does the rest.
 */
final class Leases implements OwnershipGuard {
    private static final Logger LOG = LoggerFactory.getLogger(Leases.class);

    private final CuratorFramework zk;
    private final Znodes paths;
    private final String nodeId;
    private final String focAddress;
    private final Executor events;
    private final Consumer<Lease> onLost;
    private final Consumer<String> onReclaim;
    private final Map<String, Lease> held = new ConcurrentHashMap<>();
    /** Sessions this process had before the current one: all over on this side (Curator closed them). */
    private final Set<Long> pastSessions = ConcurrentHashMap.newKeySet();
    /** Volumes whose lease went with a lost session, to take back in the next one. */
    private final Set<String> lostWithSession = ConcurrentHashMap.newKeySet();
    private volatile long session;
    private final NumberRanges numbers;

    Leases(CuratorFramework zk, Znodes paths, String nodeId, String focAddress, Executor events, Consumer<Lease> onLost,
           Consumer<String> onReclaim) {
        this.zk = zk;
        this.paths = paths;
        this.nodeId = nodeId;
        this.focAddress = focAddress;
        this.events = events;
        this.onLost = onLost;
        this.onReclaim = onReclaim;
        this.numbers = new NumberRanges(zk, paths, this::loseLease);
    }

    /**
     * Grants this node {@code volume} under the next epoch.
     *
     * @throws VolumeOwnedElsewhereException naming the owner if another session holds it
     * @throws ClusterException if ZooKeeper cannot be reached or this node already holds it
     */
    Lease acquire(String volume) {
        if (held.containsKey(volume)) {
            throw new ClusterException("volume '" + volume + "': this node already holds " + held.get(volume));
        }
        try {
            noteSession();
            ensureEpochNode(volume);
            for (int attempt = 0; ; attempt++) {
                Stat stat = new Stat();
                Znodes.Epoch last = Znodes.decode(zk.getData().storingStatIn(stat).forPath(paths.epoch(volume)),
                        Znodes.Epoch.class, paths.epoch(volume));
                Stat stale = throwIfOwned(volume);
                long next = last.epoch() + 1;
                List<CuratorOp> ops = new ArrayList<>();
                ops.add(zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(paths.epoch(volume),
                        Znodes.encode(new Znodes.Epoch(next, nodeId, focAddress))));
                if (stale != null) {
                    ops.add(zk.transactionOp().delete().withVersion(stale.getVersion()).forPath(paths.owner(volume)));
                }
                ops.add(zk.transactionOp().create().withMode(CreateMode.EPHEMERAL).forPath(paths.owner(volume),
                        Znodes.encode(new Znodes.Owner(nodeId, next))));
                try {
                    zk.transaction().forOperations(ops);
                } catch (KeeperException.NodeExistsException | KeeperException.BadVersionException
                         | KeeperException.NoNodeException raced) {
                    if (attempt >= 20) {
                        throw new ClusterException("volume '" + volume + "': the lease keeps changing hands; gave up", raced);
                    }
                    continue; // another node won this round: it owns the volume now, or the epoch moved on
                }
                Lease lease = new Lease(volume, next, stat.getVersion() + 1, last.node());
                held.put(volume, lease);
                LOG.info("volume {}: lease granted to this node ({}) at epoch {} (previous owner {})", volume, nodeId,
                        next, last.node() == null ? "none" : last.node());
                return lease;
            }
        } catch (VolumeOwnedElsewhereException | ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new ClusterException("volume '" + volume + "': cannot take the lease in ZooKeeper: " + e, e);
        }
    }

    private void ensureEpochNode(String volume) throws Exception {
        if (zk.checkExists().forPath(paths.epoch(volume)) == null) {
            try {
                zk.create().creatingParentsIfNeeded().forPath(paths.epoch(volume), Znodes.encode(Znodes.Epoch.NONE));
            } catch (KeeperException.NodeExistsException another) {
                // created by another node meanwhile
            }
        }
    }

    /**
     * Returns null if the volume has no owner znode, or the znode's stat if it is this node's from a
     * session of this process that is over (the grant replaces it); else throws, naming the owner.
     */
    private Stat throwIfOwned(String volume) throws Exception {
        Stat ownerStat = new Stat();
        byte[] data;
        try {
            data = zk.getData().storingStatIn(ownerStat).forPath(paths.owner(volume));
        } catch (KeeperException.NoNodeException free) {
            return null;
        }
        Znodes.Owner owner = Znodes.decode(data, Znodes.Owner.class, paths.owner(volume));
        if (nodeId.equals(owner.node()) && pastSessions.contains(ownerStat.getEphemeralOwner())) {
            return ownerStat; // our own lease of a lost session: fenced here already, ZooKeeper just has not expired it
        }
        String nbd = null;
        try {
            nbd = Znodes.decode(zk.getData().forPath(paths.node(owner.node())), Znodes.Member.class,
                    paths.node(owner.node())).nbd();
        } catch (KeeperException.NoNodeException unregistered) {
            // the owner's session lives but it has not registered (starting) or is re-registering
        }
        throw new VolumeOwnedElsewhereException(volume, owner.node(), owner.epoch(), nbd);
    }

    /** Gives the lease up: removes it here, then deletes its owner znode if it is still this session's. */
    void release(Lease lease) {
        held.remove(lease.volume(), lease);
        lease.lose();
        try {
            Stat stat = zk.checkExists().forPath(paths.owner(lease.volume()));
            if (stat != null && stat.getEphemeralOwner() == sessionId()) {
                zk.delete().withVersion(stat.getVersion()).forPath(paths.owner(lease.volume()));
            }
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException gone) {
            // already gone: the session ended, or it was released
        } catch (Exception e) {
            LOG.warn("volume {}: could not delete the owner znode; it goes when this session ends: {}", lease.volume(), e.toString());
        }
    }

    /**
     * Gives the lease up for node {@code to}, in one transaction: the {@code epoch} znode is still at this
     * grant's version, the {@code owner} znode is deleted and the {@code handover} znode names {@code to}
     * (other nodes leave the volume to it while it is alive). The caller made every acknowledged change
     * durable on the backend first. Nothing changed if it throws.
     *
     * @throws ClusterException if the lease is not this session's any more or ZooKeeper fails
     */
    void handOver(Lease lease, String to) {
        String v = lease.volume();
        try {
            Stat owner = zk.checkExists().forPath(paths.owner(v));
            if (owner == null || owner.getEphemeralOwner() != sessionId()) {
                throw new ClusterException("volume '" + v + "': this node's lease (epoch " + lease.epoch()
                        + ") is not in ZooKeeper any more; nothing handed over");
            }
            byte[] data = Znodes.encode(new Znodes.Handover(nodeId, to, lease.epoch()));
            Stat handover = zk.checkExists().forPath(paths.handover(v));
            zk.transaction().forOperations(
                    zk.transactionOp().check().withVersion(lease.epochVersion()).forPath(paths.epoch(v)),
                    zk.transactionOp().delete().withVersion(owner.getVersion()).forPath(paths.owner(v)),
                    handover == null ? zk.transactionOp().create().forPath(paths.handover(v), data)
                            : zk.transactionOp().setData().withVersion(handover.getVersion()).forPath(paths.handover(v), data));
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new ClusterException("volume '" + v + "': cannot hand the lease (epoch " + lease.epoch() + ") to node "
                    + to + " in ZooKeeper: " + e, e);
        }
        held.remove(v, lease);
        lease.lose();
        LOG.info("volume {}: lease at epoch {} handed over to node {}", v, lease.epoch(), to);
    }

    /**
     * Records where this node's FOC of {@code volume} is, in a transaction that checks the {@code epoch} znode
     * is still at this node's grant: a node whose lease is over cannot move anyone's FOC record.
     *
     * @throws VolumeFencedException if this node holds no live lease on the volume or the grant moved on
     * @throws ClusterException if ZooKeeper fails
     */
    void recordFoc(String volume, String address, String node) {
        Lease lease = held.get(volume);
        if (lease == null) {
            throw new VolumeFencedException("volume '" + volume + "': this node holds no lease on it; its FOC record "
                    + "stays as it is");
        }
        lease.checkLive();
        String path = paths.foc(volume);
        byte[] data = Znodes.encode(new Znodes.Foc(lease.epoch(), address, node));
        try {
            Stat stat = zk.checkExists().forPath(path);
            CuratorOp check = zk.transactionOp().check().withVersion(lease.epochVersion()).forPath(paths.epoch(volume));
            CuratorOp write = stat == null ? zk.transactionOp().create().forPath(path, data)
                    : zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(path, data);
            zk.transaction().forOperations(check, write);
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                 | KeeperException.NoNodeException raced) {
            throw new VolumeFencedException("volume '" + volume + "': its epoch moved on or its FOC record changed "
                    + "meanwhile; this node's FOC record of epoch " + lease.epoch() + " is not written", raced);
        } catch (Exception e) {
            throw new ClusterException("volume '" + volume + "': cannot record its FOC at " + address
                    + " in ZooKeeper: " + e, e);
        }
    }

    /** Where the volume's FOC is by its record (null: none recorded), falling back to the last epoch's FOC address. */
    Znodes.Foc foc(String volume) throws Exception {
        try {
            return Znodes.decode(zk.getData().forPath(paths.foc(volume)), Znodes.Foc.class, paths.foc(volume));
        } catch (KeeperException.NoNodeException none) {
            try {
                Znodes.Epoch e = Znodes.decode(zk.getData().forPath(paths.epoch(volume)), Znodes.Epoch.class,
                        paths.epoch(volume));
                return e.foc() == null ? null : new Znodes.Foc(e.epoch(), e.foc(), e.node());
            } catch (KeeperException.NoNodeException gone) {
                return null;
            }
        }
    }

    /** The handover under way for {@code volume}, or null. */
    Znodes.Handover handover(String volume) throws Exception {
        try {
            return Znodes.decode(zk.getData().forPath(paths.handover(volume)), Znodes.Handover.class, paths.handover(volume));
        } catch (KeeperException.NoNodeException none) {
            return null;
        }
    }

    /** Ends a handover after the volume was opened again (by its target or, if that failed, by another node). */
    void clearHandover(String volume) {
        try {
            zk.delete().forPath(paths.handover(volume));
        } catch (KeeperException.NoNodeException none) {
            // no handover was under way
        } catch (Exception e) {
            LOG.warn("volume {}: cannot delete its handover znode: {}", volume, e.toString());
        }
    }

    /**
     * Removes every znode of a volume this node holds (after the volume was deleted), in one transaction.
     */
    void forget(Lease lease) {
        held.remove(lease.volume(), lease);
        lease.lose();
        String v = lease.volume();
        try {
            List<CuratorOp> ops = new ArrayList<>();
            ops.add(zk.transactionOp().delete().forPath(paths.owner(v)));
            ops.add(zk.transactionOp().check().withVersion(lease.epochVersion()).forPath(paths.epoch(v)));
            ops.add(zk.transactionOp().delete().forPath(paths.epoch(v)));
            for (String child : List.of(paths.published(v), paths.handover(v), paths.foc(v), paths.numbers(v))) {
                if (zk.checkExists().forPath(child) != null) {
                    ops.add(zk.transactionOp().delete().forPath(child));
                }
            }
            ops.add(zk.transactionOp().delete().forPath(paths.volume(v)));
            zk.transaction().forOperations(ops);
        } catch (Exception e) {
            throw new ClusterException("volume '" + v + "' was deleted but its state in ZooKeeper could not be removed: " + e, e);
        }
    }

    Lease held(String volume) {
        return held.get(volume);
    }

    Collection<Lease> all() {
        return List.copyOf(held.values());
    }

    private long sessionId() throws Exception {
        return zk.getZookeeperClient().getZooKeeper().getSessionId();
    }

    // ---- OwnershipGuard ---------------------------------------------------------------------

    @Override
    public long epoch(String volume) {
        Lease l = held.get(volume);
        return l == null ? 0 : l.epoch();
    }

    @Override
    public void check(String volume, long epoch) {
        Lease l = held.get(volume);
        if (l == null) {
            throw new VolumeFencedException("volume '" + volume + "': this node holds no lease on it (epoch " + epoch
                    + " is over); another node may own it");
        }
        l.checkLive(epoch);
    }

    @Override
    public long reservePublish(String volume, long epoch, long generation) {
        check(volume, epoch);
        Lease lease = held.get(volume);
        String path = paths.published(volume);
        try {
            for (int attempt = 0; attempt < 20; attempt++) {
                Stat stat = new Stat();
                Znodes.Published last;
                try {
                    last = Znodes.decode(zk.getData().storingStatIn(stat).forPath(path), Znodes.Published.class, path);
                } catch (KeeperException.NoNodeException none) {
                    last = null;
                }
                long g = generation;
                if (last != null) {
                    if (last.epoch() > epoch) {
                        throw new StaleEpochException(volume, epoch, last.epoch());
                    }
                    // a new epoch never reuses a generation an older one may still be putting
                    g = Math.max(generation, last.epoch() == epoch ? last.generation() : last.generation() + 1);
                }
                byte[] data = Znodes.encode(new Znodes.Published(epoch, g));
                CuratorOp checkEpoch = zk.transactionOp().check().withVersion(lease.epochVersion()).forPath(paths.epoch(volume));
                CuratorOp write = last == null ? zk.transactionOp().create().forPath(path, data)
                        : zk.transactionOp().setData().withVersion(stat.getVersion()).forPath(path, data);
                try {
                    zk.transaction().forOperations(checkEpoch, write);
                    return g;
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                         | KeeperException.NoNodeException conflict) {
                    Stat epochStat = zk.checkExists().forPath(paths.epoch(volume));
                    if (epochStat == null || epochStat.getVersion() != lease.epochVersion()) {
                        long current = epochStat == null ? -1 : Znodes.decode(zk.getData().forPath(paths.epoch(volume)),
                                Znodes.Epoch.class, paths.epoch(volume)).epoch();
                        loseLease(lease, "the volume was granted again, epoch " + current);
                        throw new StaleEpochException(volume, epoch, current);
                    }
                    // only the published znode moved (our own earlier attempt): read it again
                }
            }
            throw new ClusterException("volume '" + volume + "': the published generation keeps changing; gave up");
        } catch (VolumeFencedException | ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new VolumeFencedException("volume '" + volume + "': cannot reserve manifest generation " + generation
                    + " in ZooKeeper (the publish is retried): " + e, e);
        }
    }

    @Override
    public NumberReservation reserveNumbers(String volume, long epoch, long nextSco, long nextTlog) {
        Lease lease = held.get(volume);
        if (lease == null) {
            check(volume, epoch); // throws: no lease
        }
        lease.checkLive(epoch);
        return numbers.reserve(lease, nextSco, nextTlog);
    }

    // ---- session events ---------------------------------------------------------------------

    void stateChanged(ConnectionState state) {
        if (state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED) {
            noteSession();
        }
        switch (state) {
            case SUSPENDED -> {
                held.values().forEach(Lease::suspend);
                if (!held.isEmpty()) {
                    LOG.warn("ZooKeeper connection suspended: {} leases suspended, writes are not acknowledged", held.size());
                }
            }
            case RECONNECTED -> events.execute(() -> {
                revalidate();
                reclaim();
            });
            case LOST -> {
                for (Lease l : all()) {
                    if (loseLease(l, "the ZooKeeper session was lost")) {
                        lostWithSession.add(l.volume());
                    }
                }
            }
            default -> {
            }
        }
    }

    /** After a reconnection: a lease whose owner znode is still this session's resumes; any other is lost. */
    private void revalidate() {
        for (Lease l : all()) {
            try {
                Stat stat = new Stat();
                Znodes.Owner owner = Znodes.decode(zk.getData().storingStatIn(stat).forPath(paths.owner(l.volume())),
                        Znodes.Owner.class, paths.owner(l.volume()));
                if (stat.getEphemeralOwner() == sessionId() && owner.epoch() == l.epoch() && nodeId.equals(owner.node())) {
                    l.resume();
                    continue;
                }
                loseLease(l, "its owner znode now belongs to " + owner.node() + " at epoch " + owner.epoch());
            } catch (KeeperException.NoNodeException gone) {
                loseLease(l, "its owner znode is gone (session expired)");
            } catch (Exception e) {
                LOG.warn("volume {}: cannot check the lease after reconnecting, it stays suspended: {}", l.volume(), e.toString());
            }
        }
    }

    private boolean loseLease(Lease l, String why) {
        if (held.remove(l.volume(), l)) {
            l.lose();
            LOG.warn("volume {}: lease at epoch {} lost ({}); the volume is fenced on this node", l.volume(), l.epoch(), why);
            events.execute(() -> onLost.accept(l));
            return true;
        }
        return false;
    }

    /** Records the current session; the one before it (if any) is over on this side. */
    private synchronized void noteSession() {
        try {
            long id = sessionId();
            long before = session;
            if (before != 0 && before != id) {
                pastSessions.add(before);
            }
            session = id;
        } catch (Exception e) {
            LOG.warn("cannot read the ZooKeeper session id: {}", e.toString());
        }
    }

    /**
     * In a new session after a lost one: takes back the volumes whose lease went with it, under the next
     * epoch (the owner stays this node). {@link #acquire} replaces the lost session's owner znode only if
     * no other node was granted the volume since (the epoch znode's version is the one read); else the
     * volume stays with that node.
     */
    private void reclaim() {
        for (String v : List.copyOf(lostWithSession)) {
            lostWithSession.remove(v);
            onReclaim.accept(v);
        }
    }
}
