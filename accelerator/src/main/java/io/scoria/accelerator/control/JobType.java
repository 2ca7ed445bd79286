package io.scoria.accelerator.control;

import java.util.Map;

/**
 * One kind of long operation ({@code clone}, {@code repair}, ...): builds the {@link JobTask} of
 * a job from its parameters. Registered with the {@link JobService}, which asks it again after
 * a restart for every unfinished job of its kind. Implementations are thread-safe.
 */
public interface JobType {
    /** The kind's name as jobs show it ({@code clone}, {@code repair}). */
    String kind();

    /**
     * The work of a job with {@code params}, continuing after {@code checkpoint} (null: from the
     * start). Checks the parameters: throws {@link IllegalArgumentException} (naming the bad one)
     * before any work, so a bad submit is refused and no job is kept.
     */
    JobTask task(Map<String, String> params, String checkpoint);

    /**
     * Whether a job of this kind that a restart interrupted continues from its last checkpoint;
     * if not, it is marked failed with the reason.
     */
    boolean resumable();

    /** What an interrupted, not resumable job of this kind had done, for its failure detail. */
    default String interruptedDetail(JobRecord job) {
        return "the router stopped while this " + job.kind() + " job ran (" + job.done() + " of " + job.total()
                + " done); " + job.kind() + " jobs do not resume: check what was done and submit the rest again";
    }
}
