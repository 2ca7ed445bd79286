package io.scoria.accelerator.cli;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.OwnershipGuard;
import io.scoria.accelerator.WriteListener;
import io.scoria.accelerator.cluster.ClusterNode;
import io.scoria.accelerator.cluster.LocalCopies;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.wiring.FocHooks;
import io.scoria.accelerator.foc.wiring.FocVolumeService;
import io.scoria.accelerator.foc.wiring.FocWiringConfig;
import io.scoria.accelerator.metrics.EngineMetrics;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.scoria.backend.ObjectStore;

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

    /**
     * What {@code scoria serve} runs: the volume service, the applier of scrub results, and the cluster
     * node (null for a single router).
     */
    record Router(VolumeService volumes, ScrubApplier scrub, ClusterNode cluster) {
    }

    static Router openRouter(ScoriaConfig config, MeterRegistry registry) {
        ScrubApplier[] scrub = new ScrubApplier[1];
        ScoriaConfig.Scrub s = config.scrub();
        ClusterNode node = config.cluster() == null ? null : ClusterNode.connect(config.cluster(), config.foc().address());
        try {
            Engine engine = open(config, registry, service -> scrub[0] = new ScrubApplier(service, s.graceDuration(),
                    s.pollDuration(), s.pacing()), node == null ? OwnershipGuard.SINGLE_NODE : node.ownership());
            VolumeService volumes = node == null ? engine.volumes() : node.volumes(engine.volumes(), engine.copies());
            return new Router(volumes, scrub[0], node);
        } catch (RuntimeException e) {
            if (node != null) {
                node.close();
            }
            throw e;
        }
    }

    static VolumeService open(ScoriaConfig config, MeterRegistry registry) {
        return open(config, registry, service -> { }, OwnershipGuard.SINGLE_NODE).volumes();
    }

    /** The engine stack and its handle on local copies (for a cluster node). */
    private record Engine(VolumeService volumes, LocalCopies copies) {
    }

    private static Engine open(ScoriaConfig config, MeterRegistry registry,
                               java.util.function.Consumer<LocalVolumeService> engineReady, OwnershipGuard ownership) {
        ObjectStore store = backend(config);
        try {
            EngineConfig engine = EngineConfig.defaults(config.flashDir())
                    .withScoCacheBytes(config.cache().scoCacheBytes())
                    .withClusterCacheBytes(config.cache().clusterCacheBytes());
            ScoriaConfig.Foc foc = config.foc();
            FocHooks hooks = foc.focMode() == FocMode.NONE ? null : new FocHooks();
            LocalVolumeService service = new LocalVolumeService(store, engine,
                    hooks == null ? WriteListener.Factory.NONE : hooks, ownership);
            EngineMetrics.bind(registry, service.clusterCache(), service.scoCache(), service.store());
            engineReady.accept(service);
            if (hooks == null) {
                return new Engine(new StoreClosing(service, store), new EngineCopies(service, null));
            }
            // entries stay kept until their SCO is on the backend: allow the whole SCO cache plus slack
            long retained = config.cache().scoCacheBytes() * 2 + (256L << 20);
            FocVolumeService focService = new FocVolumeService(new StoreClosing(service, store), hooks,
                    new FocWiringConfig(foc.address(), foc.focMode(), foc.connectTimeoutDuration(),
                            foc.requestTimeoutDuration(), retained, config.dataDir().resolve("foc"), foc.secret()), registry);
            return new Engine(focService, new EngineCopies(service, focService));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Local copies of volumes: closed in the FOC wiring (if any) and the engine; forgotten in both. */
    private record EngineCopies(LocalVolumeService engine, FocVolumeService foc) implements LocalCopies {
        @Override
        public void close(String volume) {
            if (foc != null) {
                foc.closeVolume(volume);
            }
            engine.closeVolume(volume);
        }

        @Override
        public void forget(String volume) {
            close(volume);
            if (foc != null) {
                foc.forgetMarker(volume);
            }
            engine.forgetLocal(volume);
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
        public void close() {
            try {
                engine.close();
            } finally {
                store.close();
            }
        }
    }
}
