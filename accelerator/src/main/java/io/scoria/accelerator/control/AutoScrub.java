package io.scoria.accelerator.control;

import io.scoria.backend.BackendException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides which volumes need a scrub and has them scrubbed with no command typed: by a
 * {@code scrub} job on this router ({@link ScrubJobs}) or by a work item for
 * {@code scoria-scrub --worker} processes ({@link WorkQueueScrubDispatch}), as its
 * {@link ScrubDispatch} says. A volume is looked at after each scheduled snapshot of it and, for every
 * volume, once per {@code checkEvery} (user snapshots count too); soon after start every volume is
 * also measured, only to show its space, without a scrub decision. It gets a scrub job when its snapshots are all on the backend, at least one of them is not scrubbed yet, and its garbage
 * ratio ({@code 1 - live bytes / SCO bytes on the backend}, from {@link GarbageGauge}) is at least
 * {@code garbage}. Scrubbing marks the snapshots scrubbed, so a volume is scrubbed again only after
 * new snapshots. A volume whose scrub is queued, running or waiting to be applied is not looked at.
 *
 * <p>Called by the {@link SnapshotScheduler}'s thread ({@link #tick}, {@link #snapshotTaken});
 * {@link #busy} from the same thread. Not thread-safe otherwise, except {@link #lastMeasured}
 * (any thread: the API shows a volume's space from it).
 */
public final class AutoScrub {
    private static final Logger LOG = LoggerFactory.getLogger(AutoScrub.class);

    /**
     * @param garbage    the garbage ratio (0-1) from which a volume is scrubbed
     * @param checkEvery how often every volume is looked at, besides after its scheduled snapshots
     */
    public record Settings(double garbage, Duration checkEvery) {
        public Settings {
            if (!(garbage >= 0 && garbage < 1)) {
                throw new IllegalArgumentException("the garbage ratio that starts a scrub must be in [0, 1): " + garbage);
            }
            Objects.requireNonNull(checkEvery, "checkEvery");
        }
    }

    /** What the router knows of a volume's space. */
    public record Garbage(long backendBytes, long liveBytes, int unscrubbedSnapshots, boolean snapshotsOnBackend) {
        /** The part of the backend bytes that holds no live data (0 when there is none). */
        public double ratio() {
            return backendBytes <= 0 ? 0 : Math.max(0, 1 - (double) liveBytes / backendBytes);
        }
    }

    /** A volume's figures and when they were measured. */
    public record Measured(Garbage garbage, Instant at) {
    }

    /** Measures a volume's space; thread-safe. */
    @FunctionalInterface
    public interface GarbageGauge {
        /** The volume's figures, or empty if this router does not serve it (another node owns it). */
        Optional<Garbage> measure(String volume);

        /**
         * Whether the volume is open on this node now. The first look after start and the periodic check
         * ({@code checkEvery}) only look at open volumes: a closed (idle) volume's garbage does not change, and
         * measuring it would open it and look its whole map up (thousands of idle volumes on a node would
         * cost hours of CPU an hour). A scheduled snapshot still makes any volume a candidate.
         */
        default boolean isOpen(String volume) {
            return true;
        }
    }

    private final ScrubDispatch dispatch;
    private final GarbageGauge gauge;
    private final Settings settings;
    private final Set<String> candidates = new LinkedHashSet<>();
    /** Volumes to measure once after start, without a scrub decision (that waits for checkEvery or a snapshot). */
    private final Set<String> firstLook = new LinkedHashSet<>();
    private final Map<String, Measured> lastMeasured = new ConcurrentHashMap<>();
    private long lastSweep = -1;

    /** Scrubs by jobs on {@code jobs}. */
    public AutoScrub(JobService jobs, GarbageGauge gauge, Settings settings) {
        this(ScrubDispatch.jobs(jobs), gauge, settings);
    }

    public AutoScrub(ScrubDispatch dispatch, GarbageGauge gauge, Settings settings) {
        this.dispatch = Objects.requireNonNull(dispatch, "dispatch");
        this.gauge = Objects.requireNonNull(gauge, "gauge");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    String describe() {
        return String.format(Locale.ROOT, "from a garbage ratio of %.2f, every volume looked at every %s", settings.garbage(),
                settings.checkEvery());
    }

    /**
     * The last figures measured for {@code volume} on this node (every volume is measured once
     * soon after start, then every {@code checkEvery} and after its snapshots); empty before its
     * first measurement or when another node serves it. Any thread.
     */
    public Optional<Measured> lastMeasured(String volume) {
        return Optional.ofNullable(lastMeasured.get(volume));
    }

    /** A scheduled snapshot of {@code volume} was made: look at it soon. */
    void snapshotTaken(String volume) {
        candidates.add(volume);
    }

    /** Whether a scrub of {@code volume} is queued, running or waiting to be applied. */
    boolean busy(String volume) {
        return dispatch.busy(volume);
    }

    /**
     * Looks at up to {@code budget} candidate volumes of {@code volumes}, then measures (without
     * deciding on a scrub) volumes not measured since start; returns how many it looked at.
     */
    int tick(long now, List<String> volumes, int budget) {
        if (lastSweep < 0) {
            volumes.stream().filter(gauge::isOpen).forEach(firstLook::add); // soon after start, for `volume space`
            lastSweep = now;
        } else if (now - lastSweep >= settings.checkEvery().toMillis()) {
            volumes.stream().filter(gauge::isOpen).forEach(candidates::add);
            lastSweep = now;
        }
        candidates.retainAll(volumes);
        firstLook.retainAll(volumes);
        firstLook.removeAll(candidates);
        lastMeasured.keySet().retainAll(volumes);
        int used = 0;
        for (String v : new ArrayList<>(candidates)) {
            if (used >= budget) {
                break;
            }
            if (busy(v)) {
                continue;
            }
            used++;
            if (look(v)) {
                candidates.remove(v);
            }
        }
        for (String v : new ArrayList<>(firstLook)) {
            if (used >= budget) {
                break;
            }
            used++;
            if (measure(v) != null) {
                firstLook.remove(v);
            }
        }
        return used;
    }

    /**
     * Measures {@code volume} and keeps the figures; empty when another node serves it, null when
     * the measurement failed (to be tried again).
     */
    private Optional<Garbage> measure(String volume) {
        Optional<Garbage> measured;
        try {
            measured = gauge.measure(volume);
        } catch (RuntimeException e) {
            LOG.warn("volume {}: cannot measure its garbage, trying again at the next tick: {}", volume, e.getMessage());
            return null;
        }
        if (measured.isEmpty()) {
            lastMeasured.remove(volume);
        } else {
            lastMeasured.put(volume, new Measured(measured.get(), Instant.now()));
        }
        return measured;
    }

    /** Returns true when done with the volume, false to look again at the next tick. */
    private boolean look(String volume) {
        Optional<Garbage> measured = measure(volume);
        if (measured == null) {
            return false;
        }
        if (measured.isEmpty()) {
            return true;
        }
        Garbage g = measured.get();
        if (!g.snapshotsOnBackend()) {
            return false; // a scrub reads the snapshots from the backend: wait for their upload
        }
        if (g.unscrubbedSnapshots() == 0 || g.ratio() < settings.garbage()) {
            LOG.debug("volume {}: no scrub needed ({})", volume, g);
            return true;
        }
        try {
            String done = dispatch.dispatch(volume, g);
            LOG.info(String.format(Locale.ROOT, "volume %s: %.1f MiB of SCOs on the backend for %.1f MiB of live data"
                            + " (garbage %.2f >= %.2f), %d snapshots not scrubbed: %s", volume,
                    g.backendBytes() / 1048576.0, g.liveBytes() / 1048576.0, g.ratio(), settings.garbage(),
                    g.unscrubbedSnapshots(), done));
            return true;
        } catch (JobException.QueueFull e) {
            LOG.info("volume {}: needs a scrub but the job queue is full; trying again at the next tick", volume);
            return false;
        } catch (BackendException e) {
            LOG.warn("volume {}: needs a scrub but its work item cannot be published, trying again at the next tick: {}",
                    volume, e.getMessage());
            return false;
        }
    }
}
