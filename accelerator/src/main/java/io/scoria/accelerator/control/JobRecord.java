package io.scoria.accelerator.control;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;

/**
 * One job as it is shown and kept on disk ({@code <dataDir>/jobs/<id>.json}, JSON of this record,
 * {@code format} 1). Progress is {@code done} of {@code total} items (0 while unknown) and
 * {@code bytes} moved; {@code checkpoint} is the job kind's own note of where to continue after a
 * restart (null: from the start); {@code result} is the kind's answer once it succeeded (or what
 * was done before a cancel or failure); {@code failure} says why it failed. Times are epoch
 * milliseconds, 0 while not reached. Immutable; the {@code with} methods return changed copies.
 *
 * @param restarts how many times a restart of the router found this job unfinished
 */
public record JobRecord(int format, String id, String kind, String target, Map<String, String> params, JobState state,
                        long createdMillis, long startedMillis, long finishedMillis, long done, long total, long bytes,
                        String checkpoint, JsonNode result, JobFailure failure, int restarts) {
    /** The format written by this version. */
    public static final int FORMAT = 1;

    public JobRecord {
        if (format != FORMAT) {
            throw new IllegalArgumentException("job format " + format + " is not known (this version reads " + FORMAT + ")");
        }
        if (id == null || !JobIds.valid(id)) {
            throw new IllegalArgumentException("not a job id: '" + id + "'");
        }
        if (kind == null || kind.isBlank() || state == null) {
            throw new IllegalArgumentException("job " + id + " needs a kind and a state");
        }
        params = params == null ? Map.of() : Map.copyOf(params);
    }

    static JobRecord queued(String id, String kind, String target, Map<String, String> params, long now) {
        return new JobRecord(FORMAT, id, kind, target, params, JobState.QUEUED, now, 0, 0, 0, 0, 0, null, null, null, 0);
    }

    JobRecord started(long now) {
        return new JobRecord(format, id, kind, target, params, JobState.RUNNING, createdMillis, now, 0, done, total, bytes,
                checkpoint, result, failure, restarts);
    }

    JobRecord withProgress(long newDone, long newTotal, long newBytes) {
        return new JobRecord(format, id, kind, target, params, state, createdMillis, startedMillis, finishedMillis, newDone,
                newTotal, newBytes, checkpoint, result, failure, restarts);
    }

    JobRecord withCheckpoint(String newCheckpoint) {
        return new JobRecord(format, id, kind, target, params, state, createdMillis, startedMillis, finishedMillis, done,
                total, bytes, newCheckpoint, result, failure, restarts);
    }

    JobRecord finished(JobState end, JsonNode newResult, JobFailure why, long now) {
        if (!end.finished()) {
            throw new IllegalArgumentException(end + " is not a final state");
        }
        return new JobRecord(format, id, kind, target, params, end, createdMillis, startedMillis, now, done, total, bytes,
                checkpoint, newResult, why, restarts);
    }

    /** Queued again after a restart, to continue from its checkpoint. */
    JobRecord requeued() {
        return new JobRecord(format, id, kind, target, params, JobState.QUEUED, createdMillis, startedMillis, 0, done,
                total, bytes, checkpoint, result, failure, restarts + 1);
    }

    /**
     * Rates and the estimated time left at {@code nowMillis}: items and bytes per second since
     * the job started, and {@code etaSeconds} = items left / item rate, or -1 while unknown (not
     * running, no total, nothing done yet).
     */
    public JobProgress progress(long nowMillis) {
        long end = state.finished() && finishedMillis > 0 ? finishedMillis : nowMillis;
        double seconds = startedMillis <= 0 ? 0 : Math.max(0.001, (end - startedMillis) / 1000.0);
        double itemRate = seconds == 0 ? 0 : done / seconds;
        double byteRate = seconds == 0 ? 0 : bytes / seconds;
        long eta = -1;
        if (state == JobState.RUNNING && total > 0 && itemRate > 0) {
            eta = (long) Math.ceil(Math.max(0, total - done) / itemRate);
        } else if (state.finished()) {
            eta = 0;
        }
        return new JobProgress(done, total, bytes, itemRate, byteRate, eta);
    }
}
