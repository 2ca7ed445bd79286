package io.scoria.accelerator.control;

/**
 * Where a job is in its life: {@code QUEUED} → {@code RUNNING} → one of the final states
 * {@code SUCCEEDED}, {@code FAILED}, {@code CANCELLED}. A queued job may be cancelled before it
 * runs; a job found unfinished after a restart is queued again (resumable kinds) or failed.
 */
public enum JobState {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    /** True for the states a job never leaves. */
    public boolean finished() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
