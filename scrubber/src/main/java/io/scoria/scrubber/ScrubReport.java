package io.scoria.scrubber;

/**
 * Summary of one scrub run.
 *
 * @param resultKey      backend key of the scrub result, or null when nothing was scrubbed
 * @param segments       snapshots examined
 * @param scosExamined   SCOs examined
 * @param scosRewritten  SCOs rewritten (they become obsolete when the result is applied)
 * @param examinedBytes  SCO bytes examined
 * @param reclaimedBytes bytes freed once the result is applied and obsolete SCOs deleted
 * @param relocations    clusters moved
 * @param seconds        wall time
 */
public record ScrubReport(String resultKey, int segments, int scosExamined, int scosRewritten, long examinedBytes,
                          long reclaimedBytes, int relocations, double seconds) {
    /** MiB of SCO data examined per second. */
    public double examinedMiBPerSecond() {
        return seconds <= 0 ? 0 : examinedBytes / 1048576.0 / seconds;
    }
}
