package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Latency, bytes and errors of block requests, one meter of each per operation
 * ({@link NbdMetrics#OPS}), created up front so that recording looks nothing up and allocates
 * nothing. Shared by the frontend's node-wide meters and each volume label's. Thread-safe.
 */
final class RequestMeters {
    private final Timer[] latency = new Timer[NbdMetrics.OPS.size()];
    private final Counter[] bytes = new Counter[NbdMetrics.OPS.size()];
    private final Counter[] errors = new Counter[NbdMetrics.OPS.size()];

    /** Builds the meters of each operation index with the given factories. */
    RequestMeters(IntFunction<Timer> latency, IntFunction<Counter> bytes, IntFunction<Counter> errors) {
        for (int i = 0; i < this.latency.length; i++) {
            this.latency[i] = latency.apply(i);
            this.bytes[i] = bytes.apply(i);
            this.errors[i] = errors.apply(i);
        }
    }

    void record(int op, long length, long elapsedNanos, boolean ok) {
        latency[op].record(elapsedNanos, TimeUnit.NANOSECONDS);
        if (ok) {
            bytes[op].increment(length);
        } else {
            errors[op].increment();
        }
    }

    /** The counters of operation {@code op} now. */
    VolumeIoStats.Op stats(int op) {
        return new VolumeIoStats.Op(latency[op].count(), (long) bytes[op].count(), (long) errors[op].count(),
                latency[op].totalTime(TimeUnit.NANOSECONDS) / 1e9);
    }

    List<Meter> meters() {
        List<Meter> all = new ArrayList<>(List.of(latency));
        all.addAll(List.of(bytes));
        all.addAll(List.of(errors));
        return all;
    }
}
