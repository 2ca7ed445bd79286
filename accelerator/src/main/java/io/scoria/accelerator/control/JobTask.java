package io.scoria.accelerator.control;

/**
 * The work of one job. {@link #run} is called once on a job thread; it reports progress and
 * checkpoints through the {@link JobContext}, polls {@link JobContext#cancelled()} between
 * steps, and returns its result (a value Jackson can write as JSON, or null). A thrown exception
 * fails the job; {@link JobContext.Cancelled} (or returning after a cancel) ends it cancelled.
 */
@FunctionalInterface
public interface JobTask {
    Object run(JobContext context) throws Exception;
}
