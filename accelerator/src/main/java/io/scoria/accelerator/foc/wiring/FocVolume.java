package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.FocState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link Volume} of the engine whose writes are mirrored to a fail-over cache. The engine's
 * write hook adds each cluster to the FOC under the engine's lock ({@link VolumeBinding}); this
 * class then, after the engine returned and outside its lock, waits in {@code sync} mode for the
 * FOC's acknowledgement of everything added so far, and on FLUSH/FUA flushes the FOC (both modes).
 * A FOC that does not answer never blocks a write for longer than the client's timeouts: the cache
 * turns DEGRADED, the write is acknowledged and its entry is re-sent on reconnection; on a cluster
 * node ({@code holdWhileDegraded}) the acknowledgement waits instead until the cache is OK again
 * (reconnected, or moved to another server), and a blocking write fails after {@code ackBound}.
 *
 * <p>Thread-safety and buffers as in {@link Volume}. Writes hold a shared lock that only
 * rollback/reset take exclusively (to drop the FOC entries of the discarded writes).
 */
public final class FocVolume implements Volume {
    private static final Logger LOG = LoggerFactory.getLogger(FocVolume.class);
    private static final Executor DIRECT = Runnable::run;
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final Volume delegate;
    private final VolumeBinding binding;
    private final FocMode mode;
    private final Duration ackBound;
    private final boolean holdWhileDegraded;
    private final Runnable onClose;
    private final ReentrantReadWriteLock history = new ReentrantReadWriteLock();
    private volatile FocFencedException fenced;

    /**
     * @param holdWhileDegraded a write whose acknowledgement did not come within {@code ackBound} fails
     *                          instead of being acknowledged (a cluster node: see {@link FocWiringConfig})
     */
    FocVolume(Volume delegate, VolumeBinding binding, FocMode mode, Duration ackBound, boolean holdWhileDegraded,
              Runnable onClose) {
        this.delegate = delegate;
        this.binding = binding;
        this.mode = mode;
        this.ackBound = ackBound;
        this.holdWhileDegraded = holdWhileDegraded;
        this.onClose = onClose;
    }

    /** The FOC state the API shows: OK, DEGRADED, FENCED or CLOSED. */
    public FocState focState() {
        return fenced != null ? FocState.FENCED : binding.cache().state();
    }

    Volume delegate() {
        return delegate;
    }

    VolumeBinding binding() {
        return binding;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public int clusterSize() {
        return delegate.clusterSize();
    }

    @Override
    public boolean isReadOnly() {
        return delegate.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        delegate.read(offset, dst);
    }

    @Override
    public void extents(long offset, long length, io.scoria.accelerator.ExtentSink sink) {
        delegate.extents(offset, length, sink);
    }

    private void checkNotFenced() {
        FocFencedException f = fenced;
        if (f != null) {
            throw new VolumeException("volume '" + name() + "' was taken over by another owner: " + f.getMessage(), f);
        }
    }

    private RuntimeException onFailure(RuntimeException e) {
        Throwable c = e;
        while (c != null && !(c instanceof FocFencedException)) {
            c = c.getCause();
        }
        if (c != null) {
            fenced = (FocFencedException) c;
            return new VolumeException("volume '" + name() + "' was taken over by another owner: " + c.getMessage(), c);
        }
        return e;
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        mutate(() -> delegate.write(offset, src, fua), fua);
    }

    /**
     * In {@code sync} mode without FUA: applies the write in the engine (adding its FOC entries) on
     * the calling thread, then returns a future that completes once the FOC acknowledged those
     * entries (or turned DEGRADED), without a thread waiting for it. The client's timeouts bound that
     * wait ({@link io.scoria.accelerator.foc.client.FocClient}: a missing acknowledgement breaks the
     * connection, which makes it DEGRADED). FUA writes and the other modes take {@link #write}.
     */
    @Override
    public CompletableFuture<Void> writeAsync(long offset, ByteBuffer src, boolean fua, Executor executor) {
        if (fua || mode != FocMode.SYNC) {
            write(offset, src, fua);
            return DONE;
        }
        long seq;
        history.readLock().lock();
        try {
            checkNotFenced();
            try {
                delegate.write(offset, src, false);
            } catch (RuntimeException e) {
                throw onFailure(e);
            }
            seq = binding.lastSeq();
        } finally {
            history.readLock().unlock();
        }
        if (seq <= 0) {
            return DONE;
        }
        CompletableFuture<Void> acked = binding.cache().awaitAsync(seq, executor);
        if (acked.isDone() && !acked.isCompletedExceptionally()) {
            return acked;
        }
        return acked.exceptionally(e -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            throw onFailure(c instanceof RuntimeException r ? r : new VolumeException("FOC acknowledgement failed", c));
        });
    }

    @Override
    public void trim(long offset, long length) {
        mutate(() -> delegate.trim(offset, length), false);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        mutate(() -> delegate.writeZeroes(offset, length, fua), fua);
    }

    private void mutate(Runnable op, boolean fua) {
        history.readLock().lock();
        try {
            checkNotFenced();
            try {
                op.run();
            } catch (RuntimeException e) {
                throw onFailure(e);
            }
            if (mode == FocMode.SYNC) {
                awaitAck(binding.lastSeq());
            }
            if (fua) {
                flushCache();
            }
        } finally {
            history.readLock().unlock();
        }
    }

    /** Waits until the FOC acknowledged entry {@code seq} and all before it, or is DEGRADED. */
    private void awaitAck(long seq) {
        if (seq <= 0) {
            return;
        }
        try {
            binding.cache().awaitAsync(seq, DIRECT).get(ackBound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw onFailure(c instanceof RuntimeException r ? r : new VolumeException("FOC acknowledgement failed", c));
        } catch (TimeoutException e) {
            if (holdWhileDegraded) {
                throw new VolumeException("volume '" + name() + "': the write is not acknowledged: its fail-over cache "
                        + binding.cache().server() + " did not take it within " + ackBound + " (state "
                        + binding.cache().state() + "), and only this node would hold it");
            }
            // the client's own timeouts should have made it DEGRADED by now; the entry stays kept and is re-sent
            LOG.warn("volume {}: no FOC acknowledgement of entry {} within {}; acknowledging (FOC state {})", name(), seq,
                    ackBound, binding.cache().state());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VolumeException("interrupted while waiting for the FOC acknowledgement of volume '" + name() + "'", e);
        }
    }

    private void flushCache() {
        try {
            binding.cache().flush();
        } catch (RuntimeException e) {
            throw onFailure(e);
        }
    }

    @Override
    public void flush() {
        history.readLock().lock();
        try {
            checkNotFenced();
            delegate.flush();
            flushCache();
        } finally {
            history.readLock().unlock();
        }
    }

    @Override
    public SnapshotInfo snapshot(String name) {
        return delegate.snapshot(name);
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        return delegate.listSnapshots();
    }

    @Override
    public void deleteSnapshot(String name) {
        delegate.deleteSnapshot(name);
    }

    @Override
    public void rollback(String snapshot) {
        history.writeLock().lock();
        try {
            checkNotFenced();
            delegate.rollback(snapshot);
            dropDiscarded("rollback to '" + snapshot + "'");
        } finally {
            history.writeLock().unlock();
        }
    }

    /** Runs {@code reset} (the engine's reset of this clone) with writes excluded, then drops the FOC entries. */
    void resetExclusive(Runnable reset) {
        history.writeLock().lock();
        try {
            checkNotFenced();
            reset.run();
            dropDiscarded("reset to the parent");
        } finally {
            history.writeLock().unlock();
        }
    }

    /**
     * After a rollback/reset the FOC still holds the discarded writes; a replay must never apply
     * them. Once the kept history is on the backend every FOC entry is obsolete, so all are dropped.
     * If the backend does not take it within the bound, the entries stay (and the failure is
     * reported): dropping them earlier could lose kept writes not yet on the backend.
     */
    private void dropDiscarded(String what) {
        if (delegate instanceof io.scoria.accelerator.volume.LocalVolume local) {
            if (!local.awaitUploads(Duration.ofSeconds(60))) {
                throw new VolumeException("volume '" + name() + "': " + what + " done, but the backend did not take the "
                        + "kept history within 60 s, so the fail-over cache still holds the discarded writes; retry");
            }
        }
        binding.dropAll();
    }

    @Override
    public void close() {
        onClose.run();
    }
}
