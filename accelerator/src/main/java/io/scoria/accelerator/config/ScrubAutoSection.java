package io.scoria.accelerator.config;

import io.scoria.accelerator.control.AutoScrub;
import io.scoria.accelerator.control.SnapshotSchedule;
import io.scoria.accelerator.control.SnapshotScheduler;
import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.Durations;

import java.nio.file.Path;

/**
 * {@code scrub.auto}: space that comes back by itself. {@code schedule}: the snapshot schedule of
 * every volume that has none set through the API ({@code none}: no scheduled snapshots);
 * {@code enabled}: whether the router starts scrub jobs by itself; {@code garbage}: the garbage
 * ratio (1 - live / backend SCO bytes) from which a volume is scrubbed; {@code liveThreshold}: the
 * scrub rewrites SCOs whose live fraction is below this; {@code checkEvery}: how often every volume
 * is looked at besides after its scheduled snapshots; {@code tick}, {@code actionsPerTick}: how
 * often the scheduler runs and the most snapshots, deletions and checks one round does;
 * {@code jar}: {@code scoria-scrub.jar} (default: beside {@code scoria.jar}, or in the source
 * tree's {@code scrubber/target}); {@code config}: the file whose {@code backend:} section the
 * scrub job reads (default: the router's own config file; for a plain {@code fs} backend the router
 * writes one under its data dir); {@code scratch}: the scrub job's scratch space (default
 * {@code <dataDir>/scrub-scratch}); {@code runOn}: who scrubs a volume the router decided needs it,
 * {@code router} (a job that runs {@code scoria-scrub} beside the router; {@code jar}, {@code config} and
 * {@code scratch} are for it) or {@code workers} (a work item on the backend that
 * {@code scoria-scrub --worker} processes take, anywhere).
 *
 * <pre>
 * scrub: {auto: {schedule: "every 1h, keep 24 hourly + 7 daily", enabled: true, garbage: 0.2, liveThreshold: 0.5,
 *                checkEvery: 1h, tick: 5s, actionsPerTick: 8, runOn: router}}
 * </pre>
 */
public record ScrubAutoSection(String schedule, Boolean enabled, Double garbage, Double liveThreshold, String checkEvery,
                               String tick, Integer actionsPerTick, Path jar, Path config, Path scratch, String runOn) {
    /** {@code runOn}: scrub jobs on the router. */
    public static final String RUN_ON_ROUTER = "router";
    /** {@code runOn}: work items for {@code scoria-scrub --worker}. */
    public static final String RUN_ON_WORKERS = "workers";
    /** The schedule of every volume unless one is set. */
    public static final String DEFAULT_SCHEDULE = "every 1h, keep 24 hourly + 7 daily";

    public ScrubAutoSection {
        schedule = schedule != null ? schedule : DEFAULT_SCHEDULE;
        enabled = enabled != null ? enabled : Boolean.TRUE;
        garbage = garbage != null ? garbage : 0.2;
        liveThreshold = liveThreshold != null ? liveThreshold : 0.5;
        checkEvery = checkEvery != null ? checkEvery : "1h";
        tick = tick != null ? tick : "5s";
        actionsPerTick = actionsPerTick != null ? actionsPerTick : 8;
        runOn = runOn != null ? runOn : RUN_ON_ROUTER;
        ConfigException.check(runOn.equals(RUN_ON_ROUTER) || runOn.equals(RUN_ON_WORKERS), "runOn",
                "must be '" + RUN_ON_ROUTER + "' or '" + RUN_ON_WORKERS + "': " + runOn);
        ConfigException.check(actionsPerTick >= 1, "actionsPerTick", "must be at least 1: " + actionsPerTick);
        ConfigException.check(Durations.parse("tick", tick).toMillis() >= 10, "tick", "must be at least 10ms: " + tick);
        ConfigException.check(liveThreshold > 0 && liveThreshold <= 1, "liveThreshold", "must be in (0, 1]: " + liveThreshold);
        schedulerOf(schedule, tick, actionsPerTick);
        autoScrubOf(garbage, checkEvery);
    }

    /** No section: the defaults. */
    public static ScrubAutoSection defaults() {
        return new ScrubAutoSection(null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The same section with {@code config} set if it had none. */
    public ScrubAutoSection withConfigIfAbsent(Path file) {
        return config != null ? this : new ScrubAutoSection(schedule, enabled, garbage, liveThreshold, checkEvery, tick,
                actionsPerTick, jar, file, scratch, runOn);
    }

    /** Whether {@code scoria-scrub --worker} processes scrub the volumes ({@code runOn: workers}). */
    public boolean scrubsOnWorkers() {
        return RUN_ON_WORKERS.equals(runOn);
    }

    public SnapshotScheduler.Settings scheduler() {
        return schedulerOf(schedule, tick, actionsPerTick);
    }

    public AutoScrub.Settings autoScrub() {
        return autoScrubOf(garbage, checkEvery);
    }

    private static SnapshotScheduler.Settings schedulerOf(String schedule, String tick, int actionsPerTick) {
        SnapshotSchedule s;
        try {
            s = schedule.trim().equalsIgnoreCase(SnapshotSchedule.NONE) ? null : SnapshotSchedule.parse(schedule);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("schedule", e.getMessage());
        }
        return new SnapshotScheduler.Settings(s, Durations.parse("tick", tick), actionsPerTick);
    }

    private static AutoScrub.Settings autoScrubOf(double garbage, String checkEvery) {
        try {
            return new AutoScrub.Settings(garbage, Durations.parse("checkEvery", checkEvery));
        } catch (IllegalArgumentException e) {
            if (e instanceof ConfigException) {
                throw e;
            }
            throw new ConfigException("garbage", e.getMessage());
        }
    }
}
