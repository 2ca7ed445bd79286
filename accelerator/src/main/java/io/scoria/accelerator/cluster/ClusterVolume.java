package io.scoria.accelerator.cluster;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeFencedException;
import io.scoria.accelerator.VolumeMovedException;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A volume this node owns, handed to the frontends. Changes (writes, trims, flushes, snapshots) are
 * taken while the {@link Lease} is LIVE or SUSPENDED and acknowledged only once it is LIVE: while
 * ZooKeeper is out of reach an acknowledgement is held, at most {@code hold} (the session timeout),
 * and given if the lease resumes (the session survived, so no other node was granted the volume);
 * it fails with a {@link VolumeFencedException} if the lease is lost or the hold runs out (the change
 * may have been applied locally; like a write in flight at a crash, the client must not count on it).
 * Reads need the lease LIVE: a suspended node may already be stale. Once a handover began
 * ({@link #startMove}) nothing is taken or acknowledged any more ({@link VolumeMovedException}), so
 * every change acknowledged here was applied to the engine before the handover closes it.
 *
 * <p>Thread-safe; the fast path of an acknowledgement is two volatile reads and one volatile write
 * (the time of the last acknowledgement, which the handover reports). Buffers as {@link Volume} says.
 */
final class ClusterVolume implements Volume {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final Volume volume;
    private final Lease lease;
    private final long holdNanos;
    private volatile String movingTo;
    private volatile long lastAck = System.nanoTime();

    ClusterVolume(Volume volume, Lease lease, Duration hold) {
        this.volume = volume;
        this.lease = lease;
        this.holdNanos = hold.toNanos();
    }

    Lease lease() {
        return lease;
    }

    /** Stops taking and acknowledging requests: the volume is handed to {@code target}. */
    void startMove(String target) {
        movingTo = target;
    }

    /** The handover was abandoned before the lease was given up: requests are taken again. */
    void cancelMove() {
        movingTo = null;
    }

    /** {@link System#nanoTime()} of the last acknowledged change (or of the open, if none). */
    long lastAcknowledged() {
        return lastAck;
    }

    @Override
    public String name() {
        return volume.name();
    }

    @Override
    public long size() {
        return volume.size();
    }

    @Override
    public int clusterSize() {
        return volume.clusterSize();
    }

    @Override
    public boolean isReadOnly() {
        return volume.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        checkServing();
        volume.read(offset, dst);
    }

    @Override
    public void extents(long offset, long length, io.scoria.accelerator.ExtentSink sink) {
        checkServing();
        volume.extents(offset, length, sink);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        change(() -> volume.write(offset, src, fua));
    }

    @Override
    public CompletableFuture<Void> writeAsync(long offset, ByteBuffer src, boolean fua, Executor executor) {
        checkTaking();
        CompletableFuture<Void> applied;
        try {
            applied = volume.writeAsync(offset, src, fua, executor);
        } catch (RuntimeException e) {
            VolumeMovedException m = moving();
            throw m != null ? m : e;
        }
        return applied.exceptionallyCompose(e -> {
            VolumeMovedException m = moving();
            return CompletableFuture.failedFuture(m != null ? m : e);
        }).thenCompose(done -> acknowledgement());
    }

    @Override
    public void flush() {
        change(volume::flush);
    }

    @Override
    public void trim(long offset, long length) {
        change(() -> volume.trim(offset, length));
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        change(() -> volume.writeZeroes(offset, length, fua));
    }

    @Override
    public SnapshotInfo snapshot(String name) {
        SnapshotInfo[] s = new SnapshotInfo[1];
        change(() -> s[0] = volume.snapshot(name));
        return s[0];
    }

    /** A synchronous change: taken, applied, then acknowledged (returns) once it may be. */
    private void change(Runnable apply) {
        checkTaking();
        try {
            apply.run();
        } catch (RuntimeException e) {
            VolumeMovedException m = moving();
            throw m != null ? m : e;
        }
        awaitAcknowledgement();
    }

    /**
     * The refusal of a handover under way, or null. A change that failed in the engine once a handover
     * began reports it: the volume was closed under a change taken just before; that is no I/O error.
     */
    private VolumeMovedException moving() {
        String target = movingTo;
        return target == null ? null : new VolumeMovedException(volume.name(), target);
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        return volume.listSnapshots();
    }

    @Override
    public void deleteSnapshot(String name) {
        checkServing();
        volume.deleteSnapshot(name);
    }

    @Override
    public void rollback(String snapshot) {
        checkServing();
        volume.rollback(snapshot);
    }

    @Override
    public void close() {
        volume.close();
    }

    /** A read or a rare operation: refused unless the lease is LIVE and no handover began. */
    private void checkServing() {
        checkNotMoving();
        lease.checkLive();
    }

    /** A change: taken unless a handover began or the lease is lost (a suspended lease holds its acknowledgement). */
    private void checkTaking() {
        checkNotMoving();
        if (lease.state() == Lease.State.LOST) {
            lease.checkLive();
        }
    }

    private void checkNotMoving() {
        VolumeMovedException m = moving();
        if (m != null) {
            throw m;
        }
    }

    /** Completes when the change just applied may be acknowledged; fails if it must not be. */
    private CompletableFuture<Void> acknowledgement() {
        if (movingTo == null && lease.state() == Lease.State.LIVE) {
            lastAck = System.nanoTime();
            return DONE;
        }
        VolumeMovedException m = moving();
        if (m != null) {
            return CompletableFuture.failedFuture(m);
        }
        return lease.whenLive().copy().orTimeout(holdNanos, TimeUnit.NANOSECONDS).handle((ok, failure) -> {
            if (failure != null) {
                Throwable f = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                if (f instanceof TimeoutException) {
                    throw new VolumeFencedException("volume '" + volume.name() + "': ZooKeeper stayed out of reach for "
                            + Duration.ofNanos(holdNanos).toMillis() + " ms (the session timeout); the change is not acknowledged");
                }
                throw f instanceof RuntimeException r ? r : new CompletionException(f);
            }
            checkNotMoving();
            lease.checkLive();
            lastAck = System.nanoTime();
            return null;
        });
    }

    private void awaitAcknowledgement() {
        try {
            acknowledgement().join();
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            while (c instanceof CompletionException && c.getCause() != null) {
                c = c.getCause();
            }
            if (c instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
