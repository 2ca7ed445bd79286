package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Meters of idle close: {@code scoria_volumes_open} (volumes open on this node, each holding one file
 * descriptor, its LBA map file), {@code scoria_volumes_idle_closes_total} (closed for being idle) and
 * {@code scoria_volumes_bound_closes_total} (closed to stay within {@code volumes.maxOpen}). Fed by
 * values; imports nothing of the engine. Registered once per registry.
 */
public final class OpenVolumeMetrics {
    private OpenVolumeMetrics() {
    }

    /**
     * Registers the meters, read from {@code source} (kept only weakly by the registry: the caller keeps
     * it alive, as the router does its idle close).
     */
    public static <T> void bind(MeterRegistry registry, T source, ToIntFunction<T> open, ToLongFunction<T> idleCloses,
                                ToLongFunction<T> boundCloses) {
        Gauge.builder("scoria.volumes.open", source, s -> open.applyAsInt(s))
                .description("volumes open on this node (each holds one file descriptor)").register(registry);
        FunctionCounter.builder("scoria.volumes.idle.closes", source, s -> idleCloses.applyAsLong(s))
                .description("volumes closed because they were idle").register(registry);
        FunctionCounter.builder("scoria.volumes.bound.closes", source, s -> boundCloses.applyAsLong(s))
                .description("volumes closed to keep at most volumes.maxOpen open").register(registry);
    }
}
