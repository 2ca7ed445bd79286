package io.scoria.accelerator.idle;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeException;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One volume's gate between its users and an idle close: counts the calls in flight, remembers when
 * the last one ended, and holds the open volume (null when closed). An idle close may start only when
 * no call is in flight ({@link #tryBeginClose}); from then until {@link #endClose} a new call waits,
 * and then reopens the volume. So a call never runs on a volume being closed, and at most one open
 * instance exists.
 *
 * <p>Thread-safe, lock-free on the call path (one compare-and-set to enter, one decrement and one
 * volatile write to leave); the monitor is taken only to wait for a close to end and to reopen.
 */
final class IdleGate {
    private static final long CLOSING = 1L << 62;
    /** Calls in flight, plus {@link #CLOSING} while an idle close runs. */
    private final AtomicLong state = new AtomicLong();
    private volatile long lastUse = System.nanoTime();
    private volatile Volume current;
    /** The one handle handed out for this volume (stable across idle closes: frontends compare it by identity). */
    private volatile Volume handle;
    /** Set by a use below the service stack ({@code VolumeUse}): the engine may have the volume open. */
    private volatile boolean engineOpen;

    /** Waits while an idle close runs, then counts one call in flight. */
    void enter() {
        for (; ; ) {
            long s = state.get();
            if ((s & CLOSING) != 0) {
                awaitClosed();
            } else if (state.compareAndSet(s, s + 1)) {
                return;
            }
        }
    }

    /** Ends a call counted by {@link #enter}. */
    void exit() {
        lastUse = System.nanoTime();
        state.decrementAndGet();
    }

    private synchronized void awaitClosed() {
        boolean interrupted = false;
        while ((state.get() & CLOSING) != 0) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The open volume (opening it with {@code opener} if closed); call between {@link #enter} and {@link #exit}. */
    Volume volume(Supplier<Volume> opener) {
        Volume v = current;
        if (v != null) {
            return v;
        }
        synchronized (this) {
            if (current == null) {
                Volume opened = opener.get();
                if (opened == null) {
                    throw new VolumeException("the volume service opened nothing");
                }
                current = opened;
            }
            return current;
        }
    }

    /** The volume's handle, made by {@code make} the first time. */
    Volume handle(Supplier<Volume> make) {
        Volume h = handle;
        if (h != null) {
            return h;
        }
        synchronized (this) {
            if (handle == null) {
                handle = make.get();
            }
            return handle;
        }
    }

    /** Notes that the engine may hold the volume open (a use below the service stack); between enter and exit. */
    void engineOpened() {
        engineOpen = true;
    }

    /** Notes that the volume was closed or deleted by a call (between enter and exit): it reopens on the next. */
    synchronized void closed() {
        current = null;
        engineOpen = false;
    }

    /** True when the volume may be open. */
    boolean isOpen() {
        return current != null || engineOpen;
    }

    long lastUse() {
        return lastUse;
    }

    long inFlight() {
        return state.get() & ~CLOSING;
    }

    /**
     * Starts an idle close if no call is in flight and none ended in the last {@code idleNanos} ({@code 0}:
     * whatever the time); the caller then closes the volume and calls {@link #endClose}.
     */
    boolean tryBeginClose(long idleNanos, long now) {
        long seen = lastUse;
        if (now - seen < idleNanos || !isOpen() || !state.compareAndSet(0, CLOSING)) {
            return false;
        }
        if (lastUse != seen) { // a call came and went between the two reads: not idle after all
            endClose(false);
            return false;
        }
        return true;
    }

    /** Ends an idle close; {@code done}: the volume was closed (the next call reopens it). */
    synchronized void endClose(boolean done) {
        if (done) {
            current = null;
            engineOpen = false;
        }
        state.set(0);
        notifyAll();
    }
}
