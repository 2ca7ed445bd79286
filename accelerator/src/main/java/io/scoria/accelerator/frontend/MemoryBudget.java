package io.scoria.accelerator.frontend;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of request data that all connections of one frontend server (NBD, iSCSI) may hold at once
 * (their limits say how much: {@code NbdLimits}, {@code IscsiLimits}). A connection that cannot
 * acquire what its next request needs stops reading and registers a wake-up, which runs (on the
 * releasing thread, so it must only schedule work) once bytes come back. Thread-safe, lock-free.
 */
public final class MemoryBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();
    private final Queue<Runnable> waiters = new ConcurrentLinkedQueue<>();

    public MemoryBudget(long limit) {
        this.limit = limit;
    }

    /** Takes {@code bytes} if that leaves the total within the limit. */
    public boolean tryAcquire(long bytes) {
        while (true) {
            long now = used.get();
            if (now + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    public void release(long bytes) {
        used.addAndGet(-bytes);
        wakeAll();
    }

    /**
     * Runs {@code wakeUp} once after the next release (or at once if {@code bytes} fit meanwhile,
     * so that no release between a failed {@link #tryAcquire} and this call is missed).
     */
    public void awaitRelease(long bytes, Runnable wakeUp) {
        waiters.add(wakeUp);
        if (used.get() + bytes <= limit) {
            wakeAll();
        }
    }

    private void wakeAll() {
        Runnable w;
        while ((w = waiters.poll()) != null) {
            w.run();
        }
    }

    public long used() {
        return used.get();
    }

    public long limit() {
        return limit;
    }
}
