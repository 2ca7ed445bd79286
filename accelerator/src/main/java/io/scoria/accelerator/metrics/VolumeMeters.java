package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The I/O meters of one volume label (a volume's name, or {@link VolumeMetrics#OTHER} shared by
 * the volumes past the label limit): requests per operation as a latency histogram
 * ({@code scoria_volume_request_seconds}, whose {@code _count} is the IOPS counter), bytes moved
 * and failed requests. Frontends resolve one instance per attached volume (through
 * {@link VolumeMetrics#meters}) and call {@link #record} on every request: no look-up, no
 * allocation. Thread-safe.
 */
public final class VolumeMeters {
    /** Operation indices for {@link #record}, the same as {@link NbdMetrics}'. */
    public static final int READ = NbdMetrics.READ;
    public static final int WRITE = NbdMetrics.WRITE;
    public static final int FLUSH = NbdMetrics.FLUSH;
    public static final int TRIM = NbdMetrics.TRIM;
    public static final int WRITE_ZEROES = NbdMetrics.WRITE_ZEROES;

    /**
     * Histogram bucket bounds: 50 µs (a cache hit) to 10 s (a backend read behind an outage);
     * 18 buckets per operation and label keep a series count that scales.
     */
    static final Duration[] BUCKETS = {
            Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
            Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
            Duration.ofSeconds(10)};

    private final String label;
    private final RequestMeters requests;

    VolumeMeters(MeterRegistry registry, String label) {
        this.label = label;
        this.requests = new RequestMeters(
                i -> Timer.builder("scoria.volume.request")
                        .description("latency of a volume's block requests, from decode to reply; _count is its IOPS counter")
                        .tags("volume", label, "op", NbdMetrics.OPS.get(i)).serviceLevelObjectives(BUCKETS).register(registry),
                i -> Counter.builder("scoria.volume.io").baseUnit("bytes")
                        .description("bytes a volume's block requests read, wrote, trimmed or zeroed")
                        .tags("volume", label, "op", NbdMetrics.OPS.get(i)).register(registry),
                i -> Counter.builder("scoria.volume.request.errors")
                        .description("a volume's block requests that failed in the volume")
                        .tags("volume", label, "op", NbdMetrics.OPS.get(i)).register(registry));
    }

    /** The label these meters carry: a volume's name, or {@code other}. */
    public String label() {
        return label;
    }

    /** One request of {@code op} over {@code length} bytes that started at {@code startNanos} ({@link System#nanoTime}). */
    public void record(int op, long length, long startNanos, boolean ok) {
        requests.record(op, length, System.nanoTime() - startNanos, ok);
    }

    /** One request of {@code op} over {@code length} bytes that took {@code elapsedNanos}. */
    public void recordElapsed(int op, long length, long elapsedNanos, boolean ok) {
        requests.record(op, length, elapsedNanos, ok);
    }

    /** The counters of every operation now, by operation name. */
    public Map<String, VolumeIoStats.Op> stats() {
        Map<String, VolumeIoStats.Op> out = new LinkedHashMap<>();
        for (int i = 0; i < NbdMetrics.OPS.size(); i++) {
            out.put(NbdMetrics.OPS.get(i), requests.stats(i));
        }
        return out;
    }

    List<Meter> meters() {
        return requests.meters();
    }
}
