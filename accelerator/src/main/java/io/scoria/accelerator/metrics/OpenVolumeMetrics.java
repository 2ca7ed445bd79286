package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Meters of idle close: {@code scoria_volumes_open} (volumes open on this node, each holding one file
 * descriptor, its LBA map file), {@code scoria_volumes_idle_closes_total} (closed for being idle) and
 * {@code scoria_volumes_bound_closes_total} (closed to stay within {@code volumes.maxOpen}). Fed by
 * values; imports nothing of the engine. Registered once per registry.
 */
public final class OpenVolumeMetrics {
    private OpenVolumeMetrics() {
    }

    public static void bind(MeterRegistry registry, IntSupplier open, LongSupplier idleCloses, LongSupplier boundCloses) {
        Gauge.builder("scoria.volumes.open", open, IntSupplier::getAsInt)
                .description("volumes open on this node (each holds one file descriptor)").register(registry);
        FunctionCounter.builder("scoria.volumes.idle.closes", idleCloses, LongSupplier::getAsLong)
                .description("volumes closed because they were idle").register(registry);
        FunctionCounter.builder("scoria.volumes.bound.closes", boundCloses, LongSupplier::getAsLong)
                .description("volumes closed to keep at most volumes.maxOpen open").register(registry);
    }
}
