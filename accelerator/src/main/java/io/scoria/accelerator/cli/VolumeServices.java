package io.scoria.accelerator.cli;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.OwnershipGuard;
import io.scoria.accelerator.VolumeUse;
import io.scoria.accelerator.WriteListener;
import io.scoria.accelerator.idle.IdleSettings;
import io.scoria.accelerator.idle.IdleVolumeService;
import io.scoria.accelerator.idle.IdleVolumes;
import io.scoria.accelerator.metrics.OpenVolumeMetrics;
import io.scoria.accelerator.cluster.ClusterNode;
import io.scoria.accelerator.cluster.LocalCopies;
import io.micrometer.core.instrument.MeterRegistry;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.foc.FocMode;
import io.scoria.accelerator.foc.wiring.FocHooks;
import io.scoria.accelerator.foc.wiring.FocVolumeService;
import io.scoria.accelerator.foc.wiring.FocWiringConfig;
import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.accelerator.health.BackendCheck;
import io.scoria.accelerator.health.FlashSpaceCheck;
import io.scoria.accelerator.health.FocCheck;
import io.scoria.accelerator.health.HealthCheck;
import io.scoria.accelerator.health.Readiness;
import io.scoria.accelerator.metrics.BackendRequestMetrics;
import io.scoria.accelerator.metrics.EngineMetrics;
import io.scoria.accelerator.metrics.VolumeMetrics;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.accelerator.volume.WipeReport;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.transform.KeyRing;
import io.scoria.backend.transform.TransformingObjectStore;
import io.scoria.distributor.store.Distributor;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.backend.metering.RequestLedger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Builds the {@link VolumeService} that {@code scoria serve} runs: the volume engine
 * ({@link LocalVolumeService}) on the configured backend, with its flash under
 * {@code dataDir/flash}. The single place that names the engine and the backends.
 */
final class VolumeServices {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VolumeServices.class);
    private VolumeServices() {
    }

    /**
     * What {@code scoria serve} runs: the volume service, the applier of scrub results, if the
     * backend is a distributor that distributor (owned by {@code volumes}, closed with it), the
     * per-volume meters, the readiness checks (backend, fail-over cache, flash space) and the
     * cluster node (null for a single router; closed by {@code volumes}), the engine's wipe check of
     * deleted volumes (null: none), the idle close of volumes (null: volumes stay open; the daemon
     * runs its sweeper) and the backend's key ring (null: no {@code backend.transform} section).
     */
    record Router(VolumeService volumes, ScrubApplier scrub, Distributor distributor, VolumeMetrics volumeMetrics,
                  Readiness readiness, ClusterNode cluster, Function<String, WipeReport> wipeCheck, IdleVolumes idle,
                  KeyRing keyRing) {
        Router(VolumeService volumes, ScrubApplier scrub, Distributor distributor, VolumeMetrics volumeMetrics,
               Readiness readiness, ClusterNode cluster) {
            this(volumes, scrub, distributor, volumeMetrics, readiness, cluster, null, null, null);
        }
    }

    static Router openRouter(ScoriaConfig config, MeterRegistry registry) {
        Router[] router = new Router[1];
        ScoriaConfig.Scrub s = config.scrub();
        ClusterNode node = config.cluster() == null ? null : ClusterNode.connect(config.cluster(), config.foc().address());
        try {
            open(config, registry, node == null ? OwnershipGuard.SINGLE_NODE : node.ownership(),
                    node, (service, engine, metrics, focDegraded) -> {
                IdleVolumes idle = idleClose(config, node != null, engine.copies(), registry);
                ScrubApplier scrub = new ScrubApplier(service, s.graceDuration(), s.pollDuration(), s.pacing(),
                        idle == null ? VolumeUse.NONE : idle);
                Distributor distributor = CountingObjectStore.underlying(service.store()) instanceof Distributor d ? d : null;
                VolumeService stack = node == null ? engine.volumes() : node.volumes(engine.volumes(), engine.copies());
                VolumeService volumes = idle == null ? stack : new IdleVolumeService(stack, idle);
                KeyRing keyRing = service.store() instanceof TransformingObjectStore t ? t.keyRing() : null;
                router[0] = new Router(volumes, scrub, distributor, metrics,
                        readiness(config, service.store(), focDegraded), node, service::wipeCheck, idle, keyRing);
            });
            return router[0];
        } catch (RuntimeException e) {
            if (node != null) {
                node.close();
            }
            throw e;
        }
    }

    static VolumeService open(ScoriaConfig config, MeterRegistry registry) {
        VolumeService[] volumes = new VolumeService[1];
        open(config, registry, OwnershipGuard.SINGLE_NODE, null,
                (service, engine, metrics, focDegraded) -> volumes[0] = engine.volumes());
        return volumes[0];
    }

    /**
     * The idle close of volumes per {@code volumes.idleClose} and {@code volumes.maxOpen}, closing through
     * {@code copies} (the FOC link and the engine), with its meters; null when both are off, and on a
     * cluster node (its volumes are held under ownership leases, which idle close does not release yet).
     */
    private static IdleVolumes idleClose(ScoriaConfig config, boolean cluster, LocalCopies copies, MeterRegistry registry) {
        IdleSettings settings = new IdleSettings(config.volumes().idleCloseDuration(), config.volumes().maxOpen());
        if (settings.off()) {
            return null;
        }
        if (cluster) {
            LOG.info("volumes.idleClose and volumes.maxOpen are not applied on a cluster node: its volumes stay open");
            return null;
        }
        IdleVolumes idle = new IdleVolumes(settings, copies::close);
        OpenVolumeMetrics.bind(registry, idle, IdleVolumes::openCount, IdleVolumes::idleCloses, IdleVolumes::boundCloses);
        return idle;
    }

    /** The engine stack and its handle on local copies (for a cluster node). */
    private record Engine(VolumeService volumes, LocalCopies copies) {
    }

    /** Receives what {@link #open} built, once. */
    @FunctionalInterface
    private interface Opened {
        void accept(LocalVolumeService service, Engine engine, VolumeMetrics metrics, Supplier<List<String>> focDegraded);
    }

    /**
     * @param node the cluster node (null: a single router); without {@code foc.address} it places each volume's FOC
     */
    private static void open(ScoriaConfig config, MeterRegistry registry, OwnershipGuard ownership, ClusterNode node,
                             Opened opened) {
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
            LocalVolumeService service = new LocalVolumeService(store, engine,
                    hooks == null ? WriteListener.Factory.NONE : hooks, ownership);
            EngineMetrics.bind(registry, service.clusterCache(), service.scoCache(), service.store());
            EngineMetrics.bindFlash(registry, config.flashDir());
            CountingObjectStore.find(store).ifPresent(c -> BackendRequestMetrics.bind(registry, c.ledger()));
            VolumeMetrics metrics = new VolumeMetrics(registry, config.monitoring().volumeLabels(), service::counters);
            if (hooks == null) {
                opened.accept(service, new Engine(new StoreClosing(service, store, metrics), new EngineCopies(service, null)),
                        metrics, null);
                return;
            }
            // entries stay kept until their SCO is on the backend: allow the whole SCO cache plus slack
            long retained = config.cache().scoCacheBytes() * 2 + (256L << 20);
            // a cluster node never acknowledges a write that only it holds: a fail-over would lose it
            boolean cluster = config.cluster() != null;
            FocVolumeService focVolumes = new FocVolumeService(new StoreClosing(service, store, metrics), hooks,
                    new FocWiringConfig(foc.address(), foc.focMode(), foc.connectTimeoutDuration(),
                            cluster ? foc.requestTimeoutDuration(config.cluster().sessionTimeoutDuration())
                                    : foc.requestTimeoutDuration(),
                            retained, config.dataDir().resolve("foc"), foc.secret(),
                            foc.address() == null && node != null ? node.focPlacement() : null, cluster, foc.tls()),
                    metrics, service::flashKey);
            if (foc.address() == null && node != null) {
                node.moveFocsThrough(new FocMoves(focVolumes));
            }
            opened.accept(service, new Engine(focVolumes, new EngineCopies(service, focVolumes)), metrics,
                    focVolumes::degradedVolumes);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** The checks of {@code /v1/ready}: the backend answers, the FOC (if configured) is reachable and OK, flash has room. */
    private static Readiness readiness(ScoriaConfig config, ObjectStore store, Supplier<List<String>> focDegraded) {
        ScoriaConfig.Monitoring m = config.monitoring();
        List<HealthCheck> checks = new ArrayList<>();
        checks.add(new BackendCheck(store));
        if (focDegraded != null) {
            checks.add(new FocCheck(config.foc().address() == null ? null : FocServer.parseHostPort(config.foc().address()),
                    m.probeTimeoutDuration(), focDegraded));
        }
        checks.add(new FlashSpaceCheck(config.flashDir(), m.minFreeFlashBytes()));
        return new Readiness(checks, m.probeTimeoutDuration(), Duration.ofSeconds(1));
    }

    /** The cluster's handle on where each open volume's FOC is, over the FOC wiring. */
    private record FocMoves(FocVolumeService foc) implements io.scoria.accelerator.cluster.FocLinks {
        @Override
        public String server(String volume) {
            return foc.focServer(volume);
        }

        @Override
        public boolean degraded(String volume) {
            return foc.focState(volume) == io.scoria.accelerator.foc.FocState.DEGRADED;
        }

        @Override
        public void move(String volume, String address, java.time.Duration within) {
            foc.retarget(volume, address, within);
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
        public void closeAndUpload(String volume, Duration timeout) {
            close(volume);
            if (!engine.awaitUploads(timeout)) {
                throw new io.scoria.accelerator.cluster.ClusterException("volume '" + volume + "': its uploads did not "
                        + "reach the backend within " + timeout.toSeconds() + " s");
            }
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

    /** The engine, plus closing its backend store after it and dropping a deleted volume's metric label. */
    private record StoreClosing(VolumeService engine, ObjectStore store, VolumeMetrics metrics) implements VolumeService {
        @Override
        public VolumeInfo create(String name, VolumeSpec spec, String project) {
            return engine.create(name, spec, project);
        }

        @Override
        public List<VolumeInfo> list() {
            return engine.list();
        }

        @Override
        public List<VolumeInfo> list(String after, int limit) {
            return engine.list(after, limit);
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
            metrics.forget(name);
        }

        @Override
        public VolumeInfo makeTemplate(String name) {
            return engine.makeTemplate(name);
        }

        @Override
        public VolumeInfo clone(String parent, String snapshot, String cloneName, String project) {
            return engine.clone(parent, snapshot, cloneName, project);
        }

        @Override
        public VolumeInfo resetToParent(String clone) {
            return engine.resetToParent(clone);
        }

        @Override
        public ChangedRanges changes(String volume, String from, String to, long start, long length, int limit) {
            return engine.changes(volume, from, to, start, length, limit);
        }

        @Override
        public io.scoria.accelerator.HydrationStep hydrate(String clone, long fromCluster, int maxClusters) {
            return engine.hydrate(clone, fromCluster, maxClusters);
        }

        @Override
        public VolumeInfo flatten(String clone) {
            return engine.flatten(clone);
        }

        @Override
        public Volume openSnapshot(String volume, String snapshot) {
            return engine.openSnapshot(volume, snapshot);
        }

        @Override
        public VolumeInfo resize(String name, long sizeBytes, boolean force) {
            return engine.resize(name, sizeBytes, force);
        }

        @Override
        public Optional<RequestLedger> backendRequests() {
            return CountingObjectStore.find(store).map(CountingObjectStore::ledger).or(engine::backendRequests);
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
