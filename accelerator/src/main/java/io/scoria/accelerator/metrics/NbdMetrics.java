package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Meters of the NBD frontend: requests (IOPS), bytes, latency histograms per operation, errors
 * and open connections. All meters are created up front, so recording allocates nothing.
 * Thread-safe.
 */
public final class NbdMetrics {
    /** Operation index for {@link #record}. */
    public static final int READ = 0;
    public static final int WRITE = 1;
    public static final int FLUSH = 2;
    public static final int TRIM = 3;
    public static final int WRITE_ZEROES = 4;
    static final List<String> OPS = List.of("read", "write", "flush", "trim", "write_zeroes");

    private final RequestMeters requests;
    private final Counter protocolErrors;
    private final AtomicInteger connections = new AtomicInteger();

    public NbdMetrics(MeterRegistry registry) {
        requests = new RequestMeters(
                i -> Timer.builder("scoria.nbd.requests").description("NBD request latency from decode to reply")
                        .tag("op", OPS.get(i)).publishPercentileHistogram().register(registry),
                i -> Counter.builder("scoria.nbd.bytes").tag("op", OPS.get(i)).baseUnit("bytes")
                        .description("bytes of NBD requests answered with success").register(registry),
                i -> Counter.builder("scoria.nbd.errors").tag("op", OPS.get(i))
                        .description("NBD requests answered with an error").register(registry));
        protocolErrors = Counter.builder("scoria.nbd.protocol.errors")
                .description("malformed or refused NBD requests and negotiations").register(registry);
        Gauge.builder("scoria.nbd.connections", connections, AtomicInteger::get)
                .description("open NBD connections").register(registry);
    }

    /** One request of {@code op}, also recorded in its volume's meters ({@code volume} may be null before attach). */
    public void record(VolumeMeters volume, int op, long length, long startNanos, boolean ok) {
        long elapsed = System.nanoTime() - startNanos;
        if (volume != null) {
            volume.recordElapsed(op, length, elapsed, ok);
        }
        requests.record(op, length, elapsed, ok);
    }

    public void record(int op, long length, long startNanos, boolean ok) {
        requests.record(op, length, System.nanoTime() - startNanos, ok);
    }

    public void protocolError() {
        protocolErrors.increment();
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }
}
