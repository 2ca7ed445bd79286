package io.scoria.accelerator.idle;

import io.scoria.accelerator.VolumeUse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The node's volumes as seen by idle close: one {@link IdleGate} per volume used since start, and the
 * closing itself. {@link #sweep} (run by the node's one {@link IdleSweeper}, never per volume) closes
 * every open volume that nobody pins (an attached NBD/iSCSI session), with no call in flight and none
 * for {@link IdleSettings#idleClose()}; then, if more than {@link IdleSettings#maxOpen()} volumes are
 * still open, the least recently used unpinned ones. Closing is done by the {@code closer} given (the
 * whole stack below: FOC link and engine; the engine seals and queues the volume's data, so everything
 * acknowledged stays durable on local flash and reaches the backend).
 *
 * <p>Also the {@link VolumeUse} of work that bypasses the service stack (scrub applies, garbage
 * measurements): it counts as use and holds off a close.
 *
 * <p>Thread-safe. The closer runs on the sweeping thread, with the volume's gate closed: calls of that
 * volume wait for it (other volumes do not).
 */
public final class IdleVolumes implements VolumeUse {
    private static final Logger LOG = LoggerFactory.getLogger(IdleVolumes.class);

    private final IdleSettings settings;
    private final Consumer<String> closer;
    private final Map<String, IdleGate> gates = new ConcurrentHashMap<>();
    private final LongAdder idleCloses = new LongAdder();
    private final LongAdder boundCloses = new LongAdder();

    /** @param closer closes volume NAME in the stack below (a volume not open there: nothing to do) */
    public IdleVolumes(IdleSettings settings, Consumer<String> closer) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.closer = Objects.requireNonNull(closer, "closer");
    }

    public IdleSettings settings() {
        return settings;
    }

    IdleGate gate(String volume) {
        return gates.computeIfAbsent(volume, v -> new IdleGate());
    }

    /** Forgets a deleted volume's gate. */
    void forget(String volume) {
        gates.remove(volume);
    }

    @Override
    public <T> T during(String volume, java.util.function.Supplier<T> work) {
        IdleGate g = gate(volume);
        g.enter();
        try {
            g.engineOpened();
            return work.get();
        } finally {
            g.exit();
        }
    }

    /** Volumes that may be open now (used since start and not closed since). */
    public int openCount() {
        int n = 0;
        for (IdleGate g : gates.values()) {
            if (g.isOpen()) {
                n++;
            }
        }
        return n;
    }

    /** Volumes closed because they were idle, since start. */
    public long idleCloses() {
        return idleCloses.sum();
    }

    /** Volumes closed to keep at most {@code maxOpen} open, since start. */
    public long boundCloses() {
        return boundCloses.sum();
    }

    /**
     * Closes what is idle, then what exceeds the bound; returns how many volumes were closed.
     *
     * @param pinned true for a volume that must stay open (an attached client session)
     */
    public int sweep(Predicate<String> pinned) {
        long now = System.nanoTime();
        int closed = 0;
        long idleNanos = settings.idleClose().toNanos();
        List<Map.Entry<String, IdleGate>> candidates = new ArrayList<>();
        int open = 0;
        for (Map.Entry<String, IdleGate> e : gates.entrySet()) {
            IdleGate g = e.getValue();
            if (!g.isOpen()) {
                continue;
            }
            open++;
            if (pinned.test(e.getKey())) {
                continue;
            }
            if (idleNanos > 0 && close(e.getKey(), g, idleNanos, now)) {
                idleCloses.increment();
                closed++;
                open--;
            } else {
                candidates.add(e);
            }
        }
        int excess = settings.maxOpen() == 0 ? 0 : open - settings.maxOpen();
        if (excess > 0) {
            candidates.sort(Comparator.comparingLong(e -> e.getValue().lastUse()));
            for (int i = 0; i < candidates.size() && excess > 0; i++) {
                Map.Entry<String, IdleGate> e = candidates.get(i);
                if (close(e.getKey(), e.getValue(), 0, now)) {
                    boundCloses.increment();
                    closed++;
                    excess--;
                }
            }
        }
        return closed;
    }

    private boolean close(String volume, IdleGate g, long idleNanos, long now) {
        if (!g.tryBeginClose(idleNanos, now)) {
            return false;
        }
        boolean done = false;
        try {
            closer.accept(volume);
            done = true;
            LOG.debug("volume {}: closed (idle)", volume);
        } catch (RuntimeException e) {
            LOG.warn("volume {}: idle close failed, it stays open: {}", volume, e.toString());
        } finally {
            g.endClose(done);
        }
        return done;
    }
}
