package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.accelerator.dedup.CacheStats;
import io.scoria.accelerator.dedup.ClusterCache;
import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.StoreMetrics;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.sco.cache.LocalScoCache;

/**
 * Exposes the volume engine's counters as meters, read at scrape time: cluster cache hits,
 * misses and hit ratio, SCO cache use and SCO backlog (bytes not yet on the backend), and the
 * backend's operations, bytes and errors. It is handed the engine's parts (the caches of the
 * {@code dedup} layer and sco-store, the backend), so it never imports the engine ({@code volume}).
 */
public final class EngineMetrics {
    private EngineMetrics() {
    }

    public static void bind(MeterRegistry registry, ClusterCache clusterCache, LocalScoCache scoCache, ObjectStore backend) {
        FunctionCounter.builder("scoria.cluster.cache.hits", clusterCache, c -> c.stats().hits())
                .register(registry);
        FunctionCounter.builder("scoria.cluster.cache.misses", clusterCache, c -> c.stats().misses())
                .register(registry);
        Gauge.builder("scoria.cluster.cache.hit.ratio", clusterCache, c -> {
            CacheStats s = c.stats();
            long total = s.hits() + s.misses();
            return total == 0 ? Double.NaN : (double) s.hits() / total;
        }).description("cluster cache hits / (hits + misses) since start").register(registry);
        Gauge.builder("scoria.cluster.cache.occupied.slots", clusterCache, c -> c.stats().occupied())
                .register(registry);
        Gauge.builder("scoria.sco.cache.used", scoCache, LocalScoCache::usedBytes).baseUnit("bytes")
                .register(registry);
        Gauge.builder("scoria.sco.backlog", scoCache, LocalScoCache::pinnedBytes).baseUnit("bytes")
                .description("SCO bytes on local flash not yet on the backend").register(registry);
        ObjectStore raw = backend instanceof CountingObjectStore counting ? counting.delegate() : backend;
        if (raw instanceof AbstractObjectStore store) {
            StoreMetrics m = store.metrics();
            String name = store.name();
            FunctionCounter.builder("scoria.backend.errors", m, StoreMetrics::errors).tag("store", name)
                    .register(registry);
            FunctionCounter.builder("scoria.backend.puts", m, StoreMetrics::puts).tag("store", name).register(registry);
            FunctionCounter.builder("scoria.backend.gets", m, StoreMetrics::gets).tag("store", name).register(registry);
            FunctionCounter.builder("scoria.backend.written", m, StoreMetrics::bytesWritten).baseUnit("bytes")
                    .tag("store", name).register(registry);
            FunctionCounter.builder("scoria.backend.read", m, StoreMetrics::bytesRead).baseUnit("bytes")
                    .tag("store", name).register(registry);
        }
    }
}
