package io.scoria.accelerator.cluster;

import io.scoria.accelerator.VolumeFencedException;
import io.scoria.accelerator.foc.FocUnavailableException;
import io.scoria.accelerator.foc.wiring.FocPlacement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The fail-over cache of each volume on another node of the cluster ({@link FocPlacement}, movable):
 * <ul>
 * <li><b>Placement</b>: among the live nodes that advertise a FOC server, other than this one, the one that
 * ranks highest for the volume (rendezvous hashing of volume and node id: stable while the membership is,
 * and spread evenly over the nodes). Only if no other node advertises one, this node's own FOC server
 * (it survives a crash of the process, not of the node), until another node appears.</li>
 * <li><b>Record</b>: the owner writes {@code volumes/VOL/foc} (address, node, epoch) in a transaction that
 * checks its grant ({@link Leases#recordFoc}); fail-over prefers the node named there, and the next owner
 * replays from it ({@link #previous}).</li>
 * <li><b>Moves</b> ({@link #check}, every second on the cluster's event thread): a volume this node owns moves
 * its FOC when the FOC's node left the cluster, when it stayed DEGRADED for {@code degradedGrace}, or when
 * it is on this node and another node advertises a FOC server. {@link FocLinks#move} re-sends every entry
 * not yet on the backend and records the move before any acknowledgement completes.</li>
 * <li><b>Epochs</b>: the owner registers at FOC servers with its lease's epoch, so a FOC server fences an
 * older owner as soon as a newer one registers there.</li>
 * </ul>
 * Thread-safe: placement calls come from volume opens; {@link #check} runs on the cluster's event thread.
 */
public final class ClusterFocPlacement implements FocPlacement {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterFocPlacement.class);

    private final Leases leases;
    private final Membership membership;
    private final String nodeId;
    private final Duration degradedGrace;
    private final Map<String, Long> degradedSince = new ConcurrentHashMap<>();
    private volatile FocLinks links;

    ClusterFocPlacement(Leases leases, Membership membership, String nodeId, Duration degradedGrace) {
        this.leases = leases;
        this.membership = membership;
        this.nodeId = nodeId;
        this.degradedGrace = degradedGrace;
    }

    @Override
    public String place(String volume) {
        return choose(volume, membership.live(), null).map(Znodes.Member::foc).orElseThrow(() ->
                new FocUnavailableException("volume '" + volume + "': no live node of the cluster advertises a FOC "
                        + "server (cluster.advertise.foc), so its writes cannot be mirrored; start one and retry"));
    }

    /**
     * The best node for the volume's FOC: the highest-ranking other live node with a FOC server, but not the
     * one at {@code avoid}; else this node if it has one (and is not {@code avoid}).
     */
    private Optional<Znodes.Member> choose(String volume, Map<String, Znodes.Member> live, String avoid) {
        Optional<Znodes.Member> other = live.values().stream()
                .filter(m -> m.foc() != null && !m.node().equals(nodeId) && !m.foc().equals(avoid))
                .max(Comparator.comparingLong(m -> rank(volume, m.node())));
        if (other.isPresent()) {
            return other;
        }
        Znodes.Member self = live.get(nodeId);
        return self != null && self.foc() != null && !self.foc().equals(avoid) ? Optional.of(self) : Optional.empty();
    }

    /** Rendezvous weight of {@code node} for {@code volume} (String hash codes are fixed by the language). */
    static long rank(String volume, String node) {
        long h = ((long) volume.hashCode() << 32) ^ (node.hashCode() & 0xffffffffL);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    @Override
    public String previous(String volume) {
        try {
            Znodes.Foc f = leases.foc(volume);
            return f == null ? null : f.address();
        } catch (Exception e) {
            throw new ClusterException("volume '" + volume + "': cannot read where its FOC is from ZooKeeper: " + e, e);
        }
    }

    @Override
    public void placed(String volume, String address) {
        String node = membership.live().values().stream().filter(m -> address.equals(m.foc()))
                .map(Znodes.Member::node).findFirst().orElse(null);
        leases.recordFoc(volume, address, node);
    }

    @Override
    public long ownerEpoch(String volume) {
        Lease l = leases.held(volume);
        if (l == null) {
            throw new VolumeFencedException("volume '" + volume + "': this node holds no lease on it");
        }
        return l.epoch();
    }

    @Override
    public boolean movable() {
        return true;
    }

    /** Starts the checks for moves, every {@code every}, on {@code events}, through {@code links}. */
    void start(FocLinks links, ScheduledExecutorService events, Duration every) {
        this.links = Objects.requireNonNull(links, "links");
        events.scheduleWithFixedDelay(this::check, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Moves the FOC of each volume owned here whose FOC node left, stayed DEGRADED too long, or is this node. */
    void check() {
        FocLinks l = links;
        if (l == null) {
            return;
        }
        Map<String, Znodes.Member> live = null;
        for (Lease lease : leases.all()) {
            String volume = lease.volume();
            try {
                String server = l.server(volume);
                if (server == null || lease.state() != Lease.State.LIVE) {
                    degradedSince.remove(volume);
                    continue;
                }
                long now = System.nanoTime();
                boolean stuck = false;
                if (l.degraded(volume)) {
                    long since = degradedSince.computeIfAbsent(volume, v -> now);
                    stuck = now - since >= degradedGrace.toNanos();
                } else {
                    degradedSince.remove(volume);
                }
                if (live == null) {
                    live = membership.live();
                }
                Znodes.Member host = live.values().stream().filter(m -> server.equals(m.foc())).findFirst().orElse(null);
                boolean gone = host == null;
                boolean onSelf = host != null && host.node().equals(nodeId);
                if (!gone && !stuck && !onSelf) {
                    continue;
                }
                Optional<Znodes.Member> to = choose(volume, live, server);
                if (to.isEmpty()) {
                    continue; // nowhere else to go: acknowledgements wait until the FOC is back or a node comes
                }
                String why = gone ? "its node left the cluster" : stuck ? "it was unreachable for " + degradedGrace
                        : "it was on this node";
                LOG.warn("volume {}: moving its fail-over cache from {} to node {} ({}): {}", volume, server,
                        to.get().node(), to.get().foc(), why);
                l.move(volume, to.get().foc(), degradedGrace.plusSeconds(30));
                degradedSince.remove(volume);
            } catch (RuntimeException e) {
                LOG.warn("volume {}: its fail-over cache could not be moved yet: {}", volume, e.toString());
            }
        }
    }
}
