package io.scoria.accelerator.control;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the {@link JobService}.
 *
 * @param dir           where each job is kept as {@code <id>.json} (the router's {@code <dataDir>/jobs})
 * @param maxRunning    jobs that run at once (1-64); the rest wait in the queue
 * @param maxQueued     jobs that may wait (0-10000); a submit beyond it is refused
 * @param maxFinished   finished jobs kept for {@code job list/show} (1-100000); the oldest go first
 * @param saveInterval  how often a running job's progress is written to its file at most
 */
public record JobsConfig(Path dir, int maxRunning, int maxQueued, int maxFinished, Duration saveInterval) {
    public JobsConfig {
        if (dir == null) {
            throw new IllegalArgumentException("jobs dir must be given");
        }
        if (maxRunning < 1 || maxRunning > 64) {
            throw new IllegalArgumentException("jobs maxRunning must be 1-64: " + maxRunning);
        }
        if (maxQueued < 0 || maxQueued > 10_000) {
            throw new IllegalArgumentException("jobs maxQueued must be 0-10000: " + maxQueued);
        }
        if (maxFinished < 1 || maxFinished > 100_000) {
            throw new IllegalArgumentException("jobs maxFinished must be 1-100000: " + maxFinished);
        }
        if (saveInterval == null || saveInterval.isNegative()) {
            throw new IllegalArgumentException("jobs saveInterval must be >= 0: " + saveInterval);
        }
    }

    /** Two jobs at once, 64 waiting, 200 finished kept, progress saved every second, under {@code dataDir/jobs}. */
    public static JobsConfig defaults(Path dataDir) {
        return new JobsConfig(dataDir.resolve("jobs"), 2, 64, 200, Duration.ofSeconds(1));
    }

    public JobsConfig withLimits(int running, int queued, int finished) {
        return new JobsConfig(dir, running, queued, finished, saveInterval);
    }
}
