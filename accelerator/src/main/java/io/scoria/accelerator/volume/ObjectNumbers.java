package io.scoria.accelerator.volume;

import io.scoria.accelerator.NumberReservation;
import io.scoria.accelerator.OwnershipGuard;
import io.scoria.sco.VolumeManifest;

/**
 * The numbers one volume gives its new SCOs and TLogs, kept inside the ranges its owner epoch reserved
 * ({@link OwnershipGuard#reserveNumbers}): in a cluster, a new owner never names an object like one a
 * fenced owner may still be uploading. On a single router every number is reserved already and this
 * costs nothing; in a cluster a reservation is one ZooKeeper transaction per volume open and per
 * 1,024 SCOs or 256 TLogs. Not thread-safe: used under the volume's append lock (and by the opening
 * thread before the volume is shared).
 */
final class ObjectNumbers {
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
        boolean fits = r != null && r.epoch() == epoch
                && (forTlog ? nextTlog < r.tlogLimit() : nextSco < r.scoLimit());
        if (!fits) {
            long sco = r != null && r.epoch() == epoch ? Math.max(nextSco, r.firstSco()) : nextSco;
            long tlog = r != null && r.epoch() == epoch ? Math.max(nextTlog, r.firstTlog()) : nextTlog;
            r = guard.reserveNumbers(namespace, epoch, sco, tlog);
            held = r;
        }
        return r;
    }
}
