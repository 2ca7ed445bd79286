package io.scoria.accelerator.control;

/**
 * A job's progress as shown: {@code done} of {@code total} items (0: total not known yet),
 * {@code bytes} moved, rates since the job started and the estimated seconds left ({@code -1}:
 * not known). Immutable.
 */
public record JobProgress(long done, long total, long bytes, double itemsPerSecond, double bytesPerSecond,
                          long etaSeconds) {
    /** Percent done (0-100), or -1 while the total is not known. */
    public double percent() {
        return total <= 0 ? -1 : Math.min(100.0, 100.0 * done / total);
    }
}
