package io.scoria.accelerator.control;

import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;

/** Maps what a job threw to the {@link JobFailure} it shows (the same slugs as the synchronous calls). */
final class JobFailures {
    private JobFailures() {
    }

    static JobFailure of(Throwable t) {
        String detail = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        if (t instanceof VolumeNotFoundException || t instanceof io.scoria.backend.NotFoundException) {
            return new JobFailure("not-found", "Not found", 404, detail);
        }
        if (t instanceof VolumeConflictException) {
            return new JobFailure("conflict", "Conflict", 409, detail);
        }
        if (t instanceof IllegalArgumentException) {
            return new JobFailure("bad-request", "Bad request", 400, detail);
        }
        if (t instanceof BackendUnavailableException) {
            return new JobFailure("backend-unavailable", "Backend unavailable", 503, detail);
        }
        if (t instanceof BackendException) {
            return new JobFailure("backend-error", "Backend error", 502, detail);
        }
        return new JobFailure("job-failed", "Job failed", 500, detail);
    }
}
