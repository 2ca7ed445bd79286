package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The process-wide Prometheus registry of {@code scoria serve}: JVM and CPU meters plus
 * whatever the NBD frontend and the volume engine register (IOPS, bytes, latency histograms,
 * cache hit ratio, SCO backlog, backend errors), and the process's open file descriptors
 * ({@code process_files_open_files}, {@code process_files_max_files}). Scraped at {@code GET /metrics}. No common tag: the
 * scraper's {@code job} and {@code instance} labels name the process.
 */
public final class ScoriaMetrics {
    private ScoriaMetrics() {
    }

    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        @SuppressWarnings("resource") // lives as long as the process
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        return registry;
    }
}
