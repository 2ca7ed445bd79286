package io.scoria.accelerator.cli;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.wiring.FocHooks;
import io.scoria.accelerator.foc.wiring.FocVolumeService;
import io.scoria.accelerator.foc.wiring.FocWiringConfig;
import io.scoria.accelerator.metrics.BackendRequestMetrics;
import io.scoria.accelerator.metrics.EngineMetrics;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.backend.metering.RequestLedger;

import java.util.List;
import java.util.Optional;

/**
 * Builds the {@link VolumeService} that {@code scoria serve} runs: the volume engine
 * ({@link LocalVolumeService}) on the configured backend, with its flash under
 * {@code dataDir/flash}. The single place that names the engine and the backends.
 */
final class VolumeServices {
    private VolumeServices() {
    }

    /** What {@code scoria serve} runs: the volume service and the applier of scrub results. */
    record Router(VolumeService volumes, ScrubApplier scrub) {
    }

    static Router openRouter(ScoriaConfig config, MeterRegistry registry) {
        ScrubApplier[] scrub = new ScrubApplier[1];
        ScoriaConfig.Scrub s = config.scrub();
        VolumeService volumes = open(config, registry, service -> scrub[0] = new ScrubApplier(service, s.graceDuration(),
                s.pollDuration(), s.pacing()));
        return new Router(volumes, scrub[0]);
    }

    static VolumeService open(ScoriaConfig config, MeterRegistry registry) {
        return open(config, registry, service -> { });
    }

    private static VolumeService open(ScoriaConfig config, MeterRegistry registry,
                                      java.util.function.Consumer<LocalVolumeService> engineReady) {
        ObjectStore store = backend(config);
        try {
            EngineConfig engine = EngineConfig.defaults(config.flashDir())
                    .withScoCacheBytes(config.cache().scoCacheBytes())
                    .withClusterCacheBytes(config.cache().clusterCacheBytes())
                    .withScosPerTlog(config.volumes().tlogScos())
                    .withReadAheadBytes(config.volumes().readAheadBytes())
                    .withMaxTlogAge(config.volumes().maxTlogAgeDuration());
            ScoriaConfig.Foc foc = config.foc();
            FocHooks hooks = foc.focMode() == FocMode.NONE ? null : new FocHooks();
            LocalVolumeService service = hooks == null ? new LocalVolumeService(store, engine)
                    : new LocalVolumeService(store, engine, hooks);
            EngineMetrics.bind(registry, service.clusterCache(), service.scoCache(), service.store());
            if (store instanceof CountingObjectStore counting) {
                BackendRequestMetrics.bind(registry, counting.ledger());
            }
            engineReady.accept(service);
            if (hooks == null) {
                return new StoreClosing(service, store);
            }
            // entries stay kept until their SCO is on the backend: allow the whole SCO cache plus slack
            long retained = config.cache().scoCacheBytes() * 2 + (256L << 20);
            return new FocVolumeService(new StoreClosing(service, store), hooks, new FocWiringConfig(foc.address(),
                    foc.focMode(), foc.connectTimeoutDuration(), foc.requestTimeoutDuration(), retained,
                    config.dataDir().resolve("foc"), foc.secret()), registry);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Opens the configured backend (relative fs roots were resolved when the config was read). */
    static ObjectStore backend(ScoriaConfig config) {
        return config.backend().open();
    }

    /** The engine, plus closing its backend store after it. */
    private record StoreClosing(VolumeService engine, ObjectStore store) implements VolumeService {
        @Override
        public VolumeInfo create(String name, VolumeSpec spec) {
            return engine.create(name, spec);
        }

        @Override
        public List<VolumeInfo> list() {
            return engine.list();
        }

        @Override
        public Optional<VolumeInfo> info(String name) {
            return engine.info(name);
        }

        @Override
        public Volume open(String name) {
            return engine.open(name);
        }

        @Override
        public void delete(String name) {
            engine.delete(name);
        }

        @Override
        public VolumeInfo makeTemplate(String name) {
            return engine.makeTemplate(name);
        }

        @Override
        public VolumeInfo clone(String parent, String snapshot, String cloneName) {
            return engine.clone(parent, snapshot, cloneName);
        }

        @Override
        public VolumeInfo resetToParent(String clone) {
            return engine.resetToParent(clone);
        }

        @Override
        public Optional<RequestLedger> backendRequests() {
            return store instanceof CountingObjectStore c ? Optional.of(c.ledger()) : engine.backendRequests();
        }

        @Override
        public void close() {
            try {
                engine.close();
            } finally {
                store.close();
            }
        }
    }
}
