package io.scoria.accelerator.metrics;

import java.util.Map;

/**
 * A volume's I/O figures as its per-volume meters hold them at one instant, for callers that want
 * numbers rather than a Prometheus scrape (the dashboard's live charts). Every figure counts up
 * from the moment the volume got its label; a reader derives rates (IOPS, throughput, mean
 * latency) from two readings, dividing the differences by the time between their {@code atMillis}.
 *
 * @param volume          the volume asked about
 * @param label           the label its series carry: its name, {@link VolumeMetrics#OTHER}, or null
 *                        while no frontend has attached it (then every figure is 0)
 * @param shared          true when the label is {@code other}: the I/O figures are the sum over every
 *                        volume past the label limit, not this volume's alone
 * @param atMillis        when the figures were read (epoch milliseconds)
 * @param ops             per operation ({@code read}, {@code write}, {@code flush}, {@code trim},
 *                        {@code write_zeroes}), the figures of requests that reached the volume
 * @param cacheHits       clusters this volume read from the cluster cache since it was opened
 * @param cacheMisses     clusters it looked up there and read from flash or the backend
 * @param scoBacklogBytes bytes of its SCOs on local flash not yet on the backend
 */
public record VolumeIoStats(String volume, String label, boolean shared, long atMillis, Map<String, Op> ops,
                            long cacheHits, long cacheMisses, long scoBacklogBytes) {
    public VolumeIoStats {
        ops = Map.copyOf(ops);
    }

    /**
     * One operation's counters.
     *
     * @param requests       requests answered (success or failure)
     * @param bytes          bytes of the requests that succeeded
     * @param errors         requests that failed in the volume
     * @param latencySeconds the summed latency of all {@code requests}, decode to reply
     */
    public record Op(long requests, long bytes, long errors, double latencySeconds) {
        /** No requests yet. */
        public static final Op NONE = new Op(0, 0, 0, 0);
    }
}
