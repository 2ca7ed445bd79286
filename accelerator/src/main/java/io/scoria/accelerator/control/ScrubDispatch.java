package io.scoria.accelerator.control;

import java.util.Map;
import java.util.Objects;

/**
 * Where {@link AutoScrub} sends a volume that needs a scrub: a {@code scrub} job run by this router
 * ({@link #jobs}, {@code scrub.auto.runOn: router}) or a work item for {@code scoria-scrub --worker}
 * processes ({@link WorkQueueScrubDispatch}, {@code runOn: workers}). Called from the scheduler's
 * thread; implementations are thread-safe.
 */
public interface ScrubDispatch {
    /** Whether a scrub of {@code volume} is queued, running, or waiting to be applied: no second one is started. */
    boolean busy(String volume);

    /**
     * Has {@code volume} scrubbed; returns what was done, for the log ("scrub job j-..").
     *
     * @throws JobException.QueueFull when it cannot be done now (tried again at the next tick)
     */
    String dispatch(String volume, AutoScrub.Garbage garbage);

    /** Scrub jobs on this router's {@link JobService} (the {@link ScrubJobs} kind must be registered). */
    static ScrubDispatch jobs(JobService jobs) {
        Objects.requireNonNull(jobs, "jobs");
        return new ScrubDispatch() {
            @Override
            public boolean busy(String volume) {
                for (JobRecord r : jobs.list()) {
                    if (r.kind().equals(ScrubJobs.KIND) && r.target().equals(volume) && !r.state().finished()) {
                        return true;
                    }
                }
                return false;
            }

            @Override
            public String dispatch(String volume, AutoScrub.Garbage garbage) {
                return "scrub job " + jobs.submit(ScrubJobs.KIND, volume, Map.of(ScrubJobs.VOLUME, volume)).id();
            }
        };
    }
}
