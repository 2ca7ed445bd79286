package io.scoria.accelerator.control;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeOwnedElsewhereException;
import io.scoria.accelerator.VolumeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Snapshot schedules run by the router: every volume that has a {@link SnapshotSchedule} (its own,
 * else the one for all volumes, else the configured default) gets a snapshot named
 * {@code auto-<UTC time>} one interval after its last scheduled one (or after the scheduler first
 * saw the volume), and scheduled snapshots past the retention are deleted, oldest first. Only
 * snapshots this scheduler made are ever deleted (they are listed in {@link ScheduleBook}), never a
 * user's, and never one a clone was made from (logged, kept, tried again later). Templates are
 * skipped. After each snapshot it tells {@link AutoScrub}, which decides whether the volume needs a
 * scrub; it also runs {@link AutoScrub}'s checks.
 *
 * <p>Crash safety: every snapshot is recorded {@code TAKING} (on disk) before it is made and
 * {@code TAKEN} after; a deletion is recorded {@code DELETING} first and forgotten after. The first
 * work of every tick resolves such intents by looking at the volume (the snapshot exists: taken,
 * or delete it again; it does not: forget it), so a kill between any two steps leaves neither a
 * snapshot the book does not know (which would never be deleted) nor a record of one that does not
 * exist.
 *
 * <p>Threads: one daemon thread ({@code snapshot-scheduler}) runs {@link #tick()} every
 * {@code tick}; each tick does at most {@code actionsPerTick} snapshot creations, deletions and
 * scrub checks, so a router with many volumes spreads the work over ticks. A failed snapshot is
 * logged and tried again at the next tick. The book is guarded by this object's monitor (the API
 * reads and changes schedules from its threads); volume calls run outside it. {@link #close()} is
 * idempotent and waits for a running tick.
 */
public final class SnapshotScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotScheduler.class);
    /** Prefix of the snapshots the scheduler makes. */
    public static final String PREFIX = "auto-";
    /** Ticks between two reads of the volume list by a running router (with the default 5 s tick: a minute). */
    static final int CATALOGUE_TICKS = 12;
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /**
     * How the scheduler runs.
     *
     * @param defaultSchedule the schedule of volumes that have none set and when none is set for all
     *                        (null: no snapshots unless one is set)
     * @param tick            how often it looks at the schedules
     * @param actionsPerTick  the most snapshots, deletions and scrub checks one tick does
     */
    public record Settings(SnapshotSchedule defaultSchedule, Duration tick, int actionsPerTick) {
        public Settings {
            Objects.requireNonNull(tick, "tick");
            if (tick.toMillis() < 10) {
                throw new IllegalArgumentException("the scheduler tick must be at least 10ms: " + tick);
            }
            if (actionsPerTick < 1) {
                throw new IllegalArgumentException("actionsPerTick must be at least 1: " + actionsPerTick);
            }
        }
    }

    /** A volume's schedule as the API shows it. */
    public record View(String volume, String schedule, String source, List<String> snapshots, Instant next) {
    }

    /** Called between the steps of a snapshot or a deletion (tests kill the scheduler there). */
    interface Steps {
        Steps NONE = step -> { };

        void reached(String step);
    }

    private final VolumeService volumes;
    private final ScheduleBook book;
    private final Settings settings;
    private final AutoScrub autoScrub;
    private final LongSupplier clock;
    private final Steps steps;
    private final Set<String> pinnedLogged = new HashSet<>();
    private final ScheduledExecutorService thread;
    /** Ticks between two reads of the volume catalogue (a read may LIST the backend's namespaces). */
    private final int catalogueTicks;
    /** The last volume list; read and written by {@link #tick} only (one thread). */
    private List<VolumeInfo> catalogue;
    private int ticksSinceCatalogue;
    private boolean closed;

    /**
     * Opens the book {@code <dataDir>/schedules.json} and starts the scheduler thread.
     *
     * @param autoScrub the scrub decisions to feed (null: none)
     */
    public static SnapshotScheduler start(VolumeService volumes, Path dataDir, Settings settings, AutoScrub autoScrub) {
        SnapshotScheduler s = new SnapshotScheduler(volumes, ScheduleBook.open(dataDir.resolve("schedules.json")),
                settings, autoScrub, System::currentTimeMillis, Steps.NONE, true, CATALOGUE_TICKS);
        LOG.info("snapshot scheduler: default schedule {}, tick {}, {}", settings.defaultSchedule() == null ? "none"
                : settings.defaultSchedule().text(), settings.tick(), autoScrub == null ? "no automatic scrub"
                : "automatic scrub " + autoScrub.describe());
        return s;
    }

    /**
     * @param catalogueTicks ticks between two reads of the volume list: listing may make the volume
     *                       service LIST the backend's namespaces (to learn volumes made by other
     *                       routers), and on an object store a LIST is billed like a PUT, so the
     *                       default tick of 5 s would cost 17,280 LISTs a day on an idle router
     */
    SnapshotScheduler(VolumeService volumes, ScheduleBook book, Settings settings, AutoScrub autoScrub,
                      LongSupplier clock, Steps steps, boolean runThread, int catalogueTicks) {
        if (catalogueTicks < 1) {
            throw new IllegalArgumentException("catalogueTicks must be at least 1: " + catalogueTicks);
        }
        this.catalogueTicks = catalogueTicks;
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.book = Objects.requireNonNull(book, "book");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.autoScrub = autoScrub;
        this.clock = clock;
        this.steps = steps;
        if (runThread) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "snapshot-scheduler");
                t.setDaemon(true);
                return t;
            });
            long ms = settings.tick().toMillis();
            thread.scheduleWithFixedDelay(this::safeTick, ms, ms, TimeUnit.MILLISECONDS);
        } else {
            thread = null;
        }
    }

    private void safeTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("snapshot scheduler: tick failed, trying again at the next one: {}", e.toString());
        }
    }

    /**
     * The volume list, read again every {@link #catalogueTicks} ticks (with the default tick of 5 s:
     * once a minute, so a volume made or deleted meanwhile is seen by the schedules at most a minute
     * late; a deleted one's actions fail and are tried again, and a failure reads the list again).
     */
    private List<VolumeInfo> catalogue() {
        if (catalogue == null || ++ticksSinceCatalogue >= catalogueTicks) {
            catalogue = volumes.list();
            ticksSinceCatalogue = 0;
        }
        return catalogue;
    }

    /** The next tick reads the volume list again (a volume of the last one is gone). */
    private void staleCatalogue() {
        catalogue = null;
    }

    /** One round: resolve intents, take due snapshots, apply retention, run scrub checks; bounded. */
    void tick() {
        long now = clock.getAsLong();
        List<VolumeInfo> all = catalogue();
        Map<String, VolumeInfo> byName = new TreeMap<>();
        all.forEach(v -> byName.put(v.name(), v));
        Map<String, List<String>> clonesOf = new TreeMap<>();
        for (VolumeInfo v : all) {
            if (v.parent() != null && v.parentSnapshot() != null) {
                clonesOf.computeIfAbsent(v.parent() + "@" + v.parentSnapshot(), k -> new ArrayList<>()).add(v.name());
            }
        }
        synchronized (this) {
            for (String known : book.volumesKnown()) {
                if (!byName.containsKey(known) && volumes.info(known).isEmpty()) {
                    book.forget(known);
                }
            }
            List<String> fresh = new ArrayList<>();
            byName.keySet().stream().filter(n -> book.anchor(n) == null).forEach(fresh::add);
            book.anchor(fresh, now);
        }
        int[] budget = {settings.actionsPerTick()};
        for (VolumeInfo v : byName.values()) {
            if (budget[0] > 0) {
                resolveIntents(v.name(), budget);
            }
        }
        for (VolumeInfo v : byName.values()) {
            if (budget[0] <= 0) {
                break;
            }
            SnapshotSchedule s = v.template() ? null : effective(v.name());
            if (s != null && now >= nextMillis(v.name(), s)) {
                take(v.name(), now);
                budget[0]--;
            }
        }
        for (VolumeInfo v : byName.values()) {
            SnapshotSchedule s = v.template() ? null : effective(v.name());
            if (s != null && budget[0] > 0) {
                retire(v.name(), s, clonesOf, budget);
            }
        }
        if (autoScrub != null && budget[0] > 0) {
            autoScrub.tick(now, List.copyOf(byName.keySet()), budget[0]);
        }
    }

    private void resolveIntents(String volume, int[] budget) {
        for (ScheduleBook.Made m : made(volume)) {
            if (m.state() == ScheduleBook.State.TAKEN || budget[0] <= 0) {
                continue;
            }
            budget[0]--;
            Boolean exists = exists(volume, m.name());
            if (exists == null) {
                continue;
            }
            if (m.state() == ScheduleBook.State.TAKING) {
                synchronized (this) {
                    if (exists) {
                        book.put(volume, m.in(ScheduleBook.State.TAKEN));
                    } else {
                        book.remove(volume, m.name());
                    }
                }
                LOG.info("volume {}: scheduled snapshot {} was being made when the scheduler stopped: {}", volume,
                        m.name(), exists ? "it exists, kept" : "it was not made, forgotten");
            } else if (exists) {
                delete(volume, m);
            } else {
                synchronized (this) {
                    book.remove(volume, m.name());
                }
            }
        }
    }

    /** Whether the volume has the snapshot; null if the volume cannot be asked now. */
    private Boolean exists(String volume, String snapshot) {
        try {
            for (SnapshotInfo s : volumes.open(volume).listSnapshots()) {
                if (s.name().equals(snapshot)) {
                    return true;
                }
            }
            return false;
        } catch (VolumeOwnedElsewhereException e) {
            return null;
        } catch (VolumeNotFoundException e) {
            staleCatalogue(); // deleted since the list was read
            return null;
        } catch (RuntimeException e) {
            LOG.warn("volume {}: cannot list snapshots, trying again at the next tick: {}", volume, e.getMessage());
            return null;
        }
    }

    private void take(String volume, long now) {
        String name = PREFIX + NAME.format(Instant.ofEpochMilli(now));
        Boolean clash = exists(volume, name);
        if (clash == null || clash) {
            if (Boolean.TRUE.equals(clash)) {
                LOG.warn("volume {}: a snapshot named {} exists already (not the scheduler's); trying again at the next tick",
                        volume, name);
            }
            return; // the intent is recorded only for a name no snapshot has, so a resolved intent is never a user's
        }
        ScheduleBook.Made made = new ScheduleBook.Made(name, now, ScheduleBook.State.TAKING);
        synchronized (this) {
            book.put(volume, made);
        }
        steps.reached("recorded " + name);
        try {
            Volume v = volumes.open(volume);
            v.snapshot(name);
        } catch (VolumeConflictException e) {
            synchronized (this) {
                book.remove(volume, name); // not made by this call (owned elsewhere, or the name was taken meanwhile)
            }
            LOG.warn("volume {}: scheduled snapshot {} refused, trying again at the next tick: {}", volume, name,
                    e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOG.warn("volume {}: scheduled snapshot {} failed, trying again at the next tick: {}", volume, name,
                    e.getMessage());
            return; // left TAKING: the next tick looks whether it was made
        }
        steps.reached("made " + name);
        synchronized (this) {
            book.put(volume, made.in(ScheduleBook.State.TAKEN));
        }
        LOG.info("volume {}: scheduled snapshot {} ({})", volume, name, effective(volume).text());
        if (autoScrub != null) {
            autoScrub.snapshotTaken(volume);
        }
    }

    private void retire(String volume, SnapshotSchedule s, Map<String, List<String>> clonesOf, int[] budget) {
        List<ScheduleBook.Made> taken = made(volume).stream().filter(m -> m.state() == ScheduleBook.State.TAKEN).toList();
        Set<Long> keep = s.keep(taken.stream().map(ScheduleBook.Made::createdMillis).toList());
        for (ScheduleBook.Made m : taken) {
            if (budget[0] <= 0) {
                return;
            }
            if (keep.contains(m.createdMillis())) {
                continue;
            }
            List<String> clones = clonesOf.get(volume + "@" + m.name());
            if (clones != null) {
                if (pinnedLogged.add(volume + "@" + m.name())) {
                    LOG.info("volume {}: scheduled snapshot {} is past its retention but kept: clones {} depend on it",
                            volume, m.name(), clones);
                }
                continue;
            }
            if (autoScrub != null && autoScrub.busy(volume)) {
                return; // a deletion now would make the running scrub's result stale
            }
            budget[0]--;
            delete(volume, m);
        }
    }

    private void delete(String volume, ScheduleBook.Made m) {
        synchronized (this) {
            book.put(volume, m.in(ScheduleBook.State.DELETING));
        }
        steps.reached("deleting " + m.name());
        try {
            volumes.open(volume).deleteSnapshot(m.name());
        } catch (VolumeOwnedElsewhereException e) {
            return;
        } catch (VolumeConflictException e) {
            synchronized (this) {
                book.put(volume, m.in(ScheduleBook.State.TAKEN));
            }
            if (pinnedLogged.add(volume + "@" + m.name())) {
                LOG.info("volume {}: scheduled snapshot {} is past its retention but kept: {}", volume, m.name(),
                        e.getMessage());
            }
            return;
        } catch (VolumeNotFoundException e) {
            LOG.info("volume {}: scheduled snapshot {} is gone already (deleted by hand or rolled back over)", volume,
                    m.name());
        } catch (RuntimeException e) {
            LOG.warn("volume {}: deleting scheduled snapshot {} failed, trying again at the next tick: {}", volume,
                    m.name(), e.getMessage());
            return; // left DELETING: the next tick tries again
        }
        steps.reached("deleted " + m.name());
        synchronized (this) {
            book.remove(volume, m.name());
        }
        LOG.info("volume {}: deleted scheduled snapshot {} (past the retention of '{}')", volume, m.name(),
                effective(volume) == null ? "a removed schedule" : effective(volume).text());
    }

    private synchronized List<ScheduleBook.Made> made(String volume) {
        return book.made(volume);
    }

    /** The schedule {@code volume} follows: its own, else the one for all, else the configured default; null: none. */
    synchronized SnapshotSchedule effective(String volume) {
        String own = book.schedule(volume);
        String text = own != null ? own : book.defaultSchedule();
        if (text == null) {
            return settings.defaultSchedule();
        }
        return text.equals(SnapshotSchedule.NONE) ? null : SnapshotSchedule.parse(text);
    }

    private synchronized long nextMillis(String volume, SnapshotSchedule s) {
        long last = book.anchor(volume) == null ? clock.getAsLong() : book.anchor(volume);
        for (ScheduleBook.Made m : book.made(volume)) {
            last = Math.max(last, m.createdMillis());
        }
        return last + s.every().toMillis();
    }

    /** {@code volume}'s schedule, where it comes from and the snapshots it made. */
    public synchronized View view(String volume) {
        requireVolume(volume);
        SnapshotSchedule s = effective(volume);
        String own = book.schedule(volume);
        String source = own != null ? "volume" : book.defaultSchedule() != null ? "all" : "config";
        List<String> names = book.made(volume).stream().filter(m -> m.state() == ScheduleBook.State.TAKEN)
                .map(ScheduleBook.Made::name).toList();
        return new View(volume, s == null ? SnapshotSchedule.NONE : s.text(), source, names,
                s == null ? null : Instant.ofEpochMilli(nextMillis(volume, s)));
    }

    /**
     * The space of {@code volume} as the automatic scrub last measured it; empty before its first
     * measurement, without automatic scrub, or when another node serves the volume.
     */
    public Optional<AutoScrub.Measured> space(String volume) {
        requireVolume(volume);
        return autoScrub == null ? Optional.empty() : autoScrub.lastMeasured(volume);
    }

    /** Whether this scheduler measures volumes' space (it runs the automatic scrub). */
    public boolean measuresSpace() {
        return autoScrub != null;
    }

    /** The schedule of volumes without their own ({@code source}: {@code all} if set here, else {@code config}). */
    public synchronized View defaultView() {
        String set = book.defaultSchedule();
        SnapshotSchedule d = settings.defaultSchedule();
        String text = set != null ? set : d == null ? SnapshotSchedule.NONE : d.text();
        return new View(null, text, set != null ? "all" : "config", List.of(), null);
    }

    /** Every volume's schedule, in name order. */
    public List<View> list() {
        List<View> out = new ArrayList<>();
        for (VolumeInfo v : volumes.list()) {
            out.add(view(v.name()));
        }
        out.sort((a, b) -> a.volume().compareTo(b.volume()));
        return out;
    }

    /**
     * Sets {@code volume}'s schedule ({@code text}: a {@link SnapshotSchedule} or {@code none}; null:
     * follow the schedule for all volumes again). Takes effect at the next tick; returns the view.
     */
    public synchronized View set(String volume, String text) {
        requireVolume(volume);
        book.setSchedule(volume, canonical(text));
        LOG.info("volume {}: snapshot schedule {}", volume, text == null ? "removed (follows the default)" : canonical(text));
        return view(volume);
    }

    /** Sets the schedule for all volumes that have none ({@code text} as in {@link #set}; null: the config's). */
    public synchronized View setDefault(String text) {
        book.setDefault(canonical(text));
        LOG.info("snapshot schedule for all volumes: {}", text == null ? "the configured default" : canonical(text));
        return defaultView();
    }

    private static String canonical(String text) {
        if (text == null) {
            return null;
        }
        return text.trim().equalsIgnoreCase(SnapshotSchedule.NONE) ? SnapshotSchedule.NONE
                : SnapshotSchedule.parse(text).text();
    }

    private void requireVolume(String volume) {
        if (volumes.info(volume).isEmpty()) {
            throw new VolumeNotFoundException("no volume " + volume);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (thread != null) {
            thread.shutdown();
            try {
                if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                    thread.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                thread.shutdownNow();
            }
        }
    }
}
