package io.scoria.accelerator.volume;

import io.scoria.accelerator.NumberReservation;
import io.scoria.accelerator.OwnershipGuard;
import io.scoria.accelerator.VolumeException;
import io.scoria.sco.VolumeManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The numbers one volume gives its new SCOs and TLogs, kept inside the ranges its owner epoch reserved
 * ({@link OwnershipGuard#reserveNumbers}): in a cluster, a new owner never names an object like one a
 * fenced owner may still be uploading. On a single router every number is reserved already and this
 * costs nothing; in a cluster a reservation is one ZooKeeper transaction per volume open and per
 * 1,024 SCOs or 256 TLogs. Not thread-safe: used under the volume's append lock (and by the opening
 * thread before the volume is shared).
 */
final class ObjectNumbers {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectNumbers.class);
    private final OwnershipGuard guard;
    private final String namespace;
    private NumberReservation held;

    ObjectNumbers(OwnershipGuard guard, String namespace) {
        this.guard = guard;
        this.namespace = namespace;
    }

    /**
     * At an open: reserves numbers from the manifest's next SCO and from {@code firstNewTlog} (the
     * number the next new TLog would get) and returns the manifest with its next SCO number, and its next
     * TLog number if {@code firstNewTlog} is it, moved up to the reservation. Without a lease (epoch 0)
     * nothing is reserved yet: the first new object reserves.
     */
    VolumeManifest claim(VolumeManifest m, long firstNewTlog) {
        long epoch = guard.epoch(namespace);
        if (epoch == 0) {
            return m;
        }
        held = guard.reserveNumbers(namespace, epoch, m.nextScoNumber(), firstNewTlog);
        long nextTlog = firstNewTlog == m.nextTlogNumber() ? held.firstTlog() : m.nextTlogNumber();
        return m.withCounters(held.firstSco(), nextTlog, m.nextSnapshotId());
    }

    /** The number for a new SCO, {@code candidate} or above; {@code nextTlog} is the next new TLog's number. */
    long sco(long candidate, long nextTlog) {
        NumberReservation r = current(candidate, nextTlog, false);
        return Math.max(candidate, r.firstSco());
    }

    /** The number for a new TLog, {@code candidate} or above; {@code nextSco} is the next new SCO's number. */
    long tlog(long nextSco, long candidate) {
        NumberReservation r = current(nextSco, candidate, true);
        return Math.max(candidate, r.firstTlog());
    }

    private NumberReservation current(long nextSco, long nextTlog, boolean forTlog) {
        long epoch = guard.epoch(namespace);
        NumberReservation r = held;
        boolean same = r != null && r.epoch() == epoch;
        boolean fits = same && (forTlog ? nextTlog < r.tlogLimit() : nextSco < r.scoLimit());
        long sco = same ? Math.max(nextSco, r.firstSco()) : nextSco;
        long tlog = same ? Math.max(nextTlog, r.firstTlog()) : nextTlog;
        if (!fits) {
            r = guard.reserveNumbers(namespace, epoch, sco, tlog);
            held = r;
        } else if (forTlog ? low(nextTlog, r.firstTlog(), r.tlogLimit()) : low(nextSco, r.firstSco(), r.scoLimit())) {
            try { // ahead of need, so that a short coordination outage does not fail a write that needs a number
                held = guard.reserveNumbers(namespace, epoch, sco, tlog);
            } catch (VolumeException notNow) {
                LOG.debug("volume {}: reserving object numbers ahead failed; {} left: {}", namespace,
                        forTlog ? r.tlogLimit() - nextTlog : r.scoLimit() - nextSco, notNow.getMessage());
            }
        }
        return r;
    }

    /** True when less than a quarter of the range {@code [first, limit)} is left at {@code next}. */
    private static boolean low(long next, long first, long limit) {
        return limit - next < (limit - first) / 4;
    }
}
