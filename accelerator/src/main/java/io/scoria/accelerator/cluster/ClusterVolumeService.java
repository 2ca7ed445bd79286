package io.scoria.accelerator.cluster;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeOwnedElsewhereException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link VolumeService} of a cluster node: a volume is opened only under this node's lease on
 * it ({@link Leases}); a volume another node owns is refused with a
 * {@link io.scoria.accelerator.VolumeOwnedElsewhereException} naming the owner and its NBD address
 * (clients connect there; this node does not take it over while the owner lives). Opening under a
 * new lease first forgets the local copy if another node owned the volume since (its local flash is
 * stale), then opens through the engine's restart path (local flash, else the backend and the FOC).
 * Operations that change a volume (delete, template, reset) take its lease first. While a handover
 * names another live node, a client's open here is refused with that node's name (the target takes it).
 * {@link #release} is the old owner's half of a handover.
 *
 * <p>Thread-safety: opens, take-overs and lease losses of one volume are serialised on the service's
 * monitor (they are rare and slow anyway); reads of the open table are lock-free.
 */
final class ClusterVolumeService implements VolumeService {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterVolumeService.class);

    private final VolumeService engine;
    private final LocalCopies local;
    private final Leases leases;
    private final String nodeId;
    private final Membership membership;
    private final Duration hold;
    private final AutoCloseable node;
    private final Map<String, ClusterVolume> open = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param engine the node's engine stack (owned here: closed before {@code node})
     * @param hold   how long an acknowledgement waits for a suspended lease (the session timeout)
     * @param node   closed last: the cluster node (its ZooKeeper session ends, the leases go with it)
     */
    ClusterVolumeService(VolumeService engine, LocalCopies local, Leases leases, String nodeId, Membership membership,
                         Duration hold, AutoCloseable node) {
        this.engine = engine;
        this.local = local;
        this.leases = leases;
        this.nodeId = nodeId;
        this.membership = membership;
        this.hold = hold;
        this.node = node;
    }

    @Override
    public VolumeInfo create(String name, VolumeSpec spec, String project) {
        return engine.create(name, spec, project);
    }

    @Override
    public List<VolumeInfo> list() {
        return engine.list();
    }

    @Override
    public List<VolumeInfo> list(String after, int limit) {
        return engine.list(after, limit);
    }

    @Override
    public Optional<VolumeInfo> info(String name) {
        return engine.info(name);
    }

    @Override
    public Volume open(String name) {
        ClusterVolume v = open.get(name);
        if (v != null && v.lease().state() != Lease.State.LOST) {
            return v;
        }
        return acquireAndOpen(name, false);
    }

    /**
     * Opens {@code name} under a new lease unless this node holds one. Unless {@code overrideHandover}, a
     * handover under way to another live node is refused ({@link VolumeOwnedElsewhereException} naming it):
     * fail-over overrides it once the target had its chance.
     */
    synchronized ClusterVolume acquireAndOpen(String name, boolean overrideHandover) {
        if (closed) {
            throw new IllegalStateException("volume service is closed");
        }
        ClusterVolume v = open.get(name);
        if (v != null && v.lease().state() != Lease.State.LOST) {
            return v;
        }
        if (v != null) {
            dropLost(v.lease());
        }
        engine.info(name).orElseThrow(() -> new io.scoria.accelerator.VolumeNotFoundException("no volume '" + name + "'"));
        Znodes.Handover handover = handover(name);
        if (handover != null && !overrideHandover && !nodeId.equals(handover.to())) {
            Znodes.Member target = membership.live().get(handover.to());
            if (target != null) {
                throw new VolumeOwnedElsewhereException(name, target.node(), handover.epoch() + 1, target.nbd());
            }
        }
        Lease lease = leases.acquire(name);
        try {
            if (lease.previousOwner() != null && !nodeId.equals(lease.previousOwner())) {
                local.forget(name);
            }
            ClusterVolume cv = new ClusterVolume(engine.open(name), lease, hold);
            open.put(name, cv);
            if (handover != null) {
                leases.clearHandover(name); // the old owner, waiting for this, sees the volume served again
            }
            return cv;
        } catch (RuntimeException e) {
            leases.release(lease);
            local.close(name);
            throw e;
        }
    }

    private Znodes.Handover handover(String name) {
        try {
            return leases.handover(name);
        } catch (ClusterException e) {
            throw e;
        } catch (Exception e) {
            throw new ClusterException("volume '" + name + "': cannot read its handover state in ZooKeeper: " + e, e);
        }
    }

    /** What the old owner measured of its half of a handover ({@link System#nanoTime()} values). */
    record Released(long epoch, long lastAcknowledged, long fenced, long released) {
    }

    /**
     * The old owner's half of a handover of {@code cv} to {@code to}: stops taking and acknowledging
     * requests, closes the volume (sealing SCO and TLog), waits until every upload of this node is on the
     * backend and the manifest published under this lease, then gives the lease up for {@code to}
     * ({@link Leases#handOver}). If anything fails before the lease is given up, the volume is opened
     * again here and served as before.
     *
     * @throws HandoverFailedException if it was abandoned
     */
    synchronized Released release(ClusterVolume cv, String to, Duration uploadTimeout) {
        String name = cv.name();
        Lease lease = cv.lease();
        if (open.get(name) != cv) {
            throw new HandoverFailedException("volume '" + name + "' is not open on this node any more; nothing handed over");
        }
        lease.checkLive();
        long fenced = System.nanoTime();
        cv.startMove(to);
        try {
            local.closeAndUpload(name, uploadTimeout);
            leases.handOver(lease, to);
        } catch (RuntimeException e) {
            open.put(name, new ClusterVolume(engine.open(name), lease, hold));
            throw new HandoverFailedException("handover of volume '" + name + "' to node " + to + " abandoned, this node "
                    + "still serves it: " + e.getMessage(), e);
        }
        long released = System.nanoTime();
        open.remove(name, cv);
        return new Released(lease.epoch(), Math.min(cv.lastAcknowledged(), fenced), fenced, released);
    }

    /** A lease was lost (session expired, or taken): the volume is closed on this node; nothing more is published. */
    synchronized void leaseLost(Lease lease) {
        ClusterVolume v = open.get(lease.volume());
        if (v != null && v.lease() == lease) {
            dropLost(lease);
        }
    }

    private void dropLost(Lease lease) {
        open.remove(lease.volume());
        try {
            local.close(lease.volume());
        } catch (RuntimeException e) {
            LOG.warn("volume {}: closing it after its lease was lost failed: {}", lease.volume(), e.toString());
        }
    }

    /** Holds the lease of {@code name} (taking it if needed), for an operation that changes the volume. */
    private ClusterVolume owned(String name) {
        ClusterVolume v = (ClusterVolume) open(name);
        v.lease().checkLive();
        return v;
    }

    @Override
    public synchronized void delete(String name) {
        ClusterVolume v = owned(name);
        engine.delete(name);
        open.remove(name);
        leases.forget(v.lease());
    }

    @Override
    public VolumeInfo makeTemplate(String name) {
        owned(name);
        return engine.makeTemplate(name);
    }

    @Override
    public synchronized VolumeInfo clone(String parent, String snapshot, String cloneName, String project) {
        if (engine.info(cloneName).isPresent()) {
            throw new io.scoria.accelerator.VolumeConflictException("volume '" + cloneName + "' already exists");
        }
        // the engine opens the new clone: take its lease first, so that its uploads run under it
        Lease lease = leases.acquire(cloneName);
        VolumeInfo info;
        try {
            info = engine.clone(parent, snapshot, cloneName, project);
        } catch (RuntimeException e) {
            leases.forget(lease);
            throw e;
        }
        open.put(cloneName, new ClusterVolume(engine.open(cloneName), lease, hold));
        return info;
    }

    @Override
    public VolumeInfo resetToParent(String clone) {
        owned(clone);
        return engine.resetToParent(clone);
    }

    @Override
    public io.scoria.accelerator.HydrationStep hydrate(String clone, long fromCluster, int maxClusters) {
        owned(clone);
        return engine.hydrate(clone, fromCluster, maxClusters);
    }

    @Override
    public VolumeInfo flatten(String clone) {
        owned(clone);
        return engine.flatten(clone);
    }

    @Override
    public ChangedRanges changes(String volume, String from, String to, long start, long length, int limit) {
        owned(volume);
        return engine.changes(volume, from, to, start, length, limit);
    }

    /** A snapshot of a volume this node owns (taking it if needed): the owner's history is the current one. */
    @Override
    public Volume openSnapshot(String volume, String snapshot) {
        owned(volume);
        return engine.openSnapshot(volume, snapshot);
    }

    @Override
    public VolumeInfo resize(String name, long sizeBytes, boolean force) {
        owned(name);
        return engine.resize(name, sizeBytes, force);
    }

    @Override
    public Optional<io.scoria.backend.metering.RequestLedger> backendRequests() {
        return engine.backendRequests();
    }

    /** The volumes open on this node under a lease. */
    List<ClusterVolume> owned() {
        return List.copyOf(open.values());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            engine.close(); // flushes, uploads and publishes under the leases, which end with the session below
        } finally {
            open.clear();
            try {
                node.close();
            } catch (Exception e) {
                LOG.warn("closing the cluster node failed: {}", e.toString());
            }
        }
    }
}
