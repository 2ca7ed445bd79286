package io.scoria.accelerator.control;

/**
 * What a running {@link JobTask} sees of its job: where to report progress and checkpoints and
 * whether a cancel was asked. Used by the job's thread; {@link #cancel} comes from any thread.
 */
public final class JobContext {
    /** Thrown by a task (see {@link #checkCancelled()}) to stop because it was cancelled. */
    public static final class Cancelled extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Cancelled(String message) {
            super(message, null, false, false);
        }
    }

    /** Receives what the task reports; the {@link JobService} owns it. */
    interface Sink {
        void progress(String id, long done, long total, long bytes);

        void checkpoint(String id, String checkpoint, long done, long total, long bytes);
    }

    private final String id;
    private final Sink sink;
    private final JobRecord start;
    private volatile boolean cancelled;

    JobContext(JobRecord start, Sink sink) {
        this.id = start.id();
        this.start = start;
        this.sink = sink;
    }

    /** The job as it was when this run began (its params, and after a restart its progress so far). */
    public JobRecord job() {
        return start;
    }

    /** {@code done} of {@code total} items (0: not known) and {@code bytes} moved so far. */
    public void progress(long done, long total, long bytes) {
        sink.progress(id, done, total, bytes);
    }

    /**
     * Records where to continue after a restart, with the progress at that point; kept on disk
     * before this returns.
     */
    public void checkpoint(String checkpoint, long done, long total, long bytes) {
        sink.checkpoint(id, checkpoint, done, total, bytes);
    }

    public boolean cancelled() {
        return cancelled;
    }

    /** Throws {@link Cancelled} if a cancel was asked. */
    public void checkCancelled() {
        if (cancelled) {
            throw new Cancelled("job " + id + " was cancelled");
        }
    }

    void cancel() {
        cancelled = true;
    }
}
