package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
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
    private static final String[] OPS = {"read", "write", "flush", "trim", "write_zeroes"};

    private final Timer[] latency = new Timer[OPS.length];
    private final Counter[] bytes = new Counter[OPS.length];
    private final Counter[] errors = new Counter[OPS.length];
    private final Counter protocolErrors;
    private final AtomicInteger connections = new AtomicInteger();

    public NbdMetrics(MeterRegistry registry) {
        for (int i = 0; i < OPS.length; i++) {
            latency[i] = Timer.builder("scoria.nbd.requests")
                    .description("NBD request latency from decode to reply")
                    .tag("op", OPS[i])
                    .publishPercentileHistogram()
                    .register(registry);
            bytes[i] = Counter.builder("scoria.nbd.bytes").tag("op", OPS[i]).baseUnit("bytes").register(registry);
            errors[i] = Counter.builder("scoria.nbd.errors").tag("op", OPS[i]).register(registry);
        }
        protocolErrors = Counter.builder("scoria.nbd.protocol.errors")
                .description("malformed or refused NBD requests and negotiations").register(registry);
        registry.gauge("scoria.nbd.connections", connections);
    }

    public void record(int op, long length, long startNanos, boolean ok) {
        latency[op].record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        if (ok) {
            bytes[op].increment(length);
        } else {
            errors[op].increment();
        }
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
