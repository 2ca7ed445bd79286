package io.scoria.accelerator.foc.client;

import io.scoria.accelerator.foc.FocState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The {@link FocState} of one {@link FocClient} and its listeners. The state is changed under the
 * client's lock ({@code ...Locked} methods); {@link #notifyListeners()} is called after the lock is
 * released and tells each listener once per change, on the calling thread (the client's I/O thread
 * or a caller of {@link FocClient#close()}).
 *
 * <p>Threads: any. Locks: the client's lock guards the state and the last state notified; the
 * listener list is copy-on-write. Holds no buffers.
 */
final class StateReporter {
    private static final Logger LOG = LoggerFactory.getLogger(StateReporter.class);

    private final Object lock;
    private final List<Consumer<FocState>> listeners = new CopyOnWriteArrayList<>();
    private FocState state = FocState.DEGRADED;
    private FocState lastNotified = FocState.DEGRADED;

    StateReporter(Object lock) {
        this.lock = lock;
    }

    FocState get() {
        synchronized (lock) {
            return state;
        }
    }

    FocState getLocked() {
        return state;
    }

    void setLocked(FocState s) {
        state = s;
    }

    void addListener(Consumer<FocState> listener) {
        listeners.add(listener);
    }

    /** Tells the listeners the current state if it changed since the last call; never under the lock. */
    void notifyListeners() {
        FocState s;
        synchronized (lock) {
            s = state;
            if (s == lastNotified) {
                return;
            }
            lastNotified = s;
        }
        for (Consumer<FocState> l : listeners) {
            try {
                l.accept(s);
            } catch (RuntimeException e) {
                LOG.warn("FOC state listener failed: {}", e.toString());
            }
        }
    }
}
