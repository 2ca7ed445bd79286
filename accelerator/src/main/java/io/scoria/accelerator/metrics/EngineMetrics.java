package io.scoria.accelerator.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.accelerator.dedup.CacheStats;
import io.scoria.accelerator.dedup.ClusterCache;
import io.scoria.backend.AbstractObjectStore;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.StoreMetrics;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.store.Distributor;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.sco.cache.LocalScoCache;

import java.nio.file.Path;

/**
 * Exposes the volume engine's counters as meters, read at scrape time: cluster cache hits,
 * misses and hit ratio, SCO cache use and SCO backlog (bytes not yet on the backend), and the
 * backend's operations, bytes and errors, and, when the backend is a distributor, those of each of
 * its stores ({@code scoria_distributor_store_*{store}}). It is handed the engine's parts (the caches of the
 * {@code dedup} layer and sco-store, the backend), so it never imports the engine ({@code volume}).
 */
public final class EngineMetrics {
    private EngineMetrics() {
    }

    public static void bind(MeterRegistry registry, ClusterCache clusterCache, LocalScoCache scoCache, ObjectStore backend) {
        FunctionCounter.builder("scoria.cluster.cache.hits", clusterCache, c -> c.stats().hits())
                .description("clusters read from the node's cluster cache")
                .register(registry);
        FunctionCounter.builder("scoria.cluster.cache.misses", clusterCache, c -> c.stats().misses())
                .description("cluster cache look-ups that missed")
                .register(registry);
        Gauge.builder("scoria.cluster.cache.hit.ratio", clusterCache, c -> {
            CacheStats s = c.stats();
            long total = s.hits() + s.misses();
            return total == 0 ? Double.NaN : (double) s.hits() / total;
        }).description("cluster cache hits / (hits + misses) since start").register(registry);
        Gauge.builder("scoria.cluster.cache.occupied.slots", clusterCache, c -> c.stats().occupied())
                .description("slots of the cluster cache that hold a cluster")
                .register(registry);
        Gauge.builder("scoria.sco.cache.used", scoCache, LocalScoCache::usedBytes).baseUnit("bytes")
                .description("bytes of SCOs held on local flash, sealed and reserved")
                .register(registry);
        Gauge.builder("scoria.sco.backlog", scoCache, LocalScoCache::pinnedBytes).baseUnit("bytes")
                .description("SCO bytes on local flash not yet on the backend").register(registry);
        ObjectStore raw = CountingObjectStore.underlying(backend);
        if (raw instanceof AbstractObjectStore store) {
            bindStore(registry, "scoria.backend", store.name(), store.metrics(), "the backend");
        }
        if (raw instanceof Distributor distributor) {
            FunctionCounter.builder("scoria.distributor.degraded.writes", distributor, Distributor::degradedWrites)
                    .description("fragment sets written with fewer fragments than the policy's Y (a store was down):"
                            + " objects below full redundancy until a repair").register(registry);
            for (FragmentStore fs : distributor.config().stores()) {
                if (CountingObjectStore.underlying(fs.store()) instanceof AbstractObjectStore store) {
                    bindStore(registry, "scoria.distributor.store", fs.name(), store.metrics(), "one store of the distributor");
                }
            }
        }
    }

    /** Free and total bytes of the file system of local flash (SCO cache, TLogs, metadata, cluster cache). */
    public static void bindFlash(MeterRegistry registry, Path flashDir) {
        Gauge.builder("scoria.flash.free", flashDir, d -> d.toFile().getUsableSpace()).baseUnit("bytes")
                .description("usable bytes on the file system of local flash").strongReference(true).register(registry);
        Gauge.builder("scoria.flash.size", flashDir, d -> d.toFile().getTotalSpace()).baseUnit("bytes")
                .description("size of the file system of local flash").strongReference(true).register(registry);
    }

    private static void bindStore(MeterRegistry registry, String prefix, String name, StoreMetrics m, String what) {
        FunctionCounter.builder(prefix + ".errors", m, StoreMetrics::errors).tag("store", name)
                .description("operations on " + what + " that failed").register(registry);
        FunctionCounter.builder(prefix + ".puts", m, StoreMetrics::puts).tag("store", name)
                .description("objects put on " + what).register(registry);
        FunctionCounter.builder(prefix + ".gets", m, StoreMetrics::gets).tag("store", name)
                .description("objects or ranges read from " + what).register(registry);
        FunctionCounter.builder(prefix + ".written", m, StoreMetrics::bytesWritten).baseUnit("bytes").tag("store", name)
                .description("bytes put on " + what).register(registry);
        FunctionCounter.builder(prefix + ".read", m, StoreMetrics::bytesRead).baseUnit("bytes").tag("store", name)
                .description("bytes read from " + what).register(registry);
    }
}
