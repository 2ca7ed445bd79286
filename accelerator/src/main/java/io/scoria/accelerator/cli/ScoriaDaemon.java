package io.scoria.accelerator.cli;

import io.scoria.accelerator.idle.IdleSweeper;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.api.ApiServer;
import io.scoria.accelerator.api.ApiServerConfig;
import io.scoria.accelerator.api.ApiServices;
import io.scoria.accelerator.cluster.ClusterConfig;
import io.scoria.accelerator.config.FocServeSection;
import io.scoria.accelerator.foc.server.FocServer;
import io.scoria.accelerator.cluster.ClusterNode;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.control.HostRegistry;
import io.scoria.accelerator.control.ServingGate;
import io.scoria.accelerator.control.QosRegistry;
import io.scoria.accelerator.control.CloneJobs;
import io.scoria.accelerator.control.DistributorJobs;
import io.scoria.accelerator.control.HydrateJobs;
import io.scoria.accelerator.control.PoolBook;
import io.scoria.accelerator.control.Pools;
import io.scoria.accelerator.control.JobService;
import io.scoria.accelerator.control.JobType;
import io.scoria.accelerator.control.JobsConfig;
import io.scoria.accelerator.control.ScrubJobs;
import io.scoria.accelerator.control.SnapshotScheduler;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.health.Readiness;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.metrics.VolumeMetrics;
import io.scoria.accelerator.iscsi.IscsiServer;
import io.scoria.accelerator.nbd.NbdServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The running router: a {@link VolumeService}, its NBD and iSCSI frontends (holding volumes to
 * their QoS caps, {@code <dataDir>/qos.json}, and serving attached volumes only to their hosts,
 * {@code <dataDir>/hosts.json}), the management API with {@code /metrics} and the
 * {@link JobService} of long operations, with the {@link VolumeLifecycle} (states and journal in
 * {@code <dataDir>/lifecycle}, replayed before anything is served). Owns the service and closes it
 * last (after the API and the jobs); {@link #close()} is idempotent and, on a cluster node, first
 * hands the node's volumes to other live nodes.
 */
public final class ScoriaDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScoriaDaemon.class);

    private final VolumeService volumes;
    private final NbdServer nbd;
    private final IscsiServer iscsi;
    private final ApiServer api;
    private final ScrubApplier scrub;
    private final JobService jobs;
    private final SnapshotScheduler schedules;
    /** Null when volumes are not closed when idle. */
    private final IdleSweeper sweeper;
    private final Readiness readiness;
    private final VolumeLifecycle lifecycle;
    private final ClusterNode cluster;
    /** The FOC server of {@code foc.serve}, or null; closed after the volumes. */
    private final FocServer focServer;
    private boolean closed;

    /** Starts serving {@code volumes} (now owned by the daemon) as {@code config} says. */
    public ScoriaDaemon(ScoriaConfig config, VolumeService volumes) {
        this(config, volumes, ScoriaMetrics.newRegistry());
    }

    /** As above, publishing metrics (with any the engine registered) in {@code registry}. */
    public ScoriaDaemon(ScoriaConfig config, VolumeService volumes, PrometheusMeterRegistry registry) {
        this(config, volumes, registry, null);
    }

    /** As above, also applying scrub results with {@code scrub} (may be null; owned by the daemon). */
    public ScoriaDaemon(ScoriaConfig config, VolumeService volumes, PrometheusMeterRegistry registry, ScrubApplier scrub) {
        this(config, apiSettings(config), volumes, registry, scrub);
    }

    /** As above, with the REST API set up by {@code apiConfig} (instead of {@link #apiSettings}). */
    public ScoriaDaemon(ScoriaConfig config, ApiServerConfig apiConfig, VolumeService volumes,
                        PrometheusMeterRegistry registry, ScrubApplier scrub) {
        this(config, apiConfig, volumes, registry, scrub, null);
    }

    /**
     * As above, as a node of a cluster ({@code cluster}, may be null): the REST API shows it, and the node
     * registers with this daemon's bound addresses (or those {@code cluster.advertise} names). The volume
     * service closes the node.
     */
    public ScoriaDaemon(ScoriaConfig config, ApiServerConfig apiConfig, VolumeService volumes,
                        PrometheusMeterRegistry registry, ScrubApplier scrub, ClusterNode cluster) {
        this(config, apiConfig, new VolumeServices.Router(volumes, scrub, null,
                new VolumeMetrics(registry, config.monitoring().volumeLabels(), v -> Optional.empty()),
                new Readiness(List.of(), Duration.ofSeconds(1), Duration.ZERO), cluster), registry);
    }

    /**
     * Serves what {@link VolumeServices#openRouter} opened (now owned by the daemon): volumes,
     * scrub applier, per-volume meters, readiness checks and cluster node. If the backend is a
     * distributor (owned by the volumes) its status and repair, rebalance and re-encode jobs are
     * served under {@code /v1/distributor}. Jobs are kept in {@code <dataDir>/jobs}.
     */
    ScoriaDaemon(ScoriaConfig config, VolumeServices.Router router, PrometheusMeterRegistry registry) {
        this(config, apiSettings(config), router, registry);
    }

    private ScoriaDaemon(ScoriaConfig config, ApiServerConfig apiConfig, VolumeServices.Router router,
                         PrometheusMeterRegistry registry) {
        VolumeService volumes = router.volumes();
        ScrubApplier scrub = router.scrub();
        var distributor = router.distributor();
        ClusterNode cluster = router.cluster();
        this.readiness = router.readiness();
        this.cluster = cluster;
        this.scrub = scrub;
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        NbdServer n = null;
        IscsiServer i = null;
        JobService j = null;
        SnapshotScheduler sched = null;
        IdleSweeper idle = null;
        ApiServer web = null;
        VolumeLifecycle life = null;
        FocServer foc = null;
        try {
            foc = startFocServer(config, registry);
            HostRegistry hosts = HostRegistry.open(config.dataDir().resolve("hosts.json"));
            life = VolumeLifecycle.open(config.dataDir().resolve("lifecycle"), volumes, hosts,
                    Duration.ofMillis(Long.getLong(VolumeLifecycle.STEP_PAUSE_PROPERTY, 0)));
            // completes the pool operations a stop interrupted before any frontend serves
            Pools pools = new Pools(life, PoolBook.open(config.dataDir().resolve("pools.json")),
                    v -> !hosts.attachments(v).isEmpty() || hosts.sessions().count(v) > 0);
            List<JobType> kinds = new ArrayList<>();
            kinds.add(new CloneJobs(life));
            kinds.add(new HydrateJobs(volumes));
            if (distributor != null) {
                kinds.addAll(DistributorJobs.all(distributor));
                DistributorHealthLog.start(distributor);
            }
            Optional<ScrubJobs> scrubJobs = AutoSpace.scrubJobs(config, volumes, scrub);
            scrubJobs.ifPresent(kinds::add);
            j = new JobService(JobsConfig.defaults(config.dataDir()), kinds);
            sched = AutoSpace.start(config, volumes, scrub, j, scrubJobs.isPresent());
            QosRegistry qos = QosRegistry.open(config.dataDir().resolve("qos.json"));
            router.volumeMetrics().qosDelays(v -> qos.gate(v).delayed());
            if (router.idle() != null) {
                idle = new IdleSweeper(router.idle(), v -> hosts.sessions().count(v) > 0);
            }
            ServingGate gate = new ServingGate(hosts, life);
            n = new NbdServer(config.nbdServerConfig(), volumes, registry, router.volumeMetrics(), qos, gate);
            if (config.iscsi().enabled()) {
                i = new IscsiServer(config.iscsiServerConfig(), volumes, registry, router.volumeMetrics(), qos, gate);
            }
            web = new ApiServer(apiConfig, volumes, config.volumes(), registry, scrub,
                    new ApiServices(j, distributor, qos, readiness, cluster)
                            .withVolumeMeters(router.volumeMetrics()).withHosts(hosts, router.wipeCheck())
                            .withSchedules(sched).withLifecycle(life).withKeyRing(router.keyRing())
                            .withPools(pools));
            if (cluster != null) {
                ClusterConfig.Advertise a = config.cluster() != null ? config.cluster().advertise()
                        : new ClusterConfig.Advertise(null, null, null, null);
                cluster.start(or(a.nbd(), config.nbd().host(), n.port()),
                        i == null ? a.iscsi() : or(a.iscsi(), config.iscsi().host(), i.port()), advertisedFoc(a, foc),
                        or(a.api(), apiConfig.host(), web.port()));
            }
        } catch (RuntimeException e) {
            if (idle != null) {
                idle.close();
            }
            if (web != null) {
                web.close();
            }
            if (i != null) {
                i.close();
            }
            if (n != null) {
                n.close();
            }
            if (sched != null) {
                sched.close();
            }
            if (j != null) {
                j.close();
            }
            if (life != null) {
                life.close();
            }
            if (scrub != null) {
                scrub.close();
            }
            volumes.close();
            readiness.close();
            if (foc != null) {
                foc.close();
            }
            throw e;
        }
        focServer = foc;
        nbd = n;
        iscsi = i;
        jobs = j;
        schedules = sched;
        sweeper = idle;
        api = web;
        lifecycle = life;
        log.info("Scoria serving NBD on nbd://{}:{}/<volume>, iSCSI {}, REST API on {}://{}:{}/v1, data in {}",
                config.nbd().host(), nbd.port(), iscsi == null ? "off" : "on iscsi://" + config.iscsi().host() + ":"
                        + iscsi.port() + "/" + config.iscsi().iqnPrefix() + ":<volume>/0", apiConfig.scheme(),
                apiConfig.host(), api.port(), config.dataDir().toAbsolutePath());
    }

    private static FocServer startFocServer(ScoriaConfig config, PrometheusMeterRegistry registry) {
        FocServeSection serve = config.foc().serve();
        if (serve == null) {
            return null;
        }
        var secret = config.foc().secret();
        var tls = config.foc().tls();
        InetSocketAddress listen = serve.address();
        if (secret == null && tls == null && (listen.getAddress() == null || !listen.getAddress().isLoopbackAddress())) {
            throw new io.scoria.backend.config.ConfigException("foc.serve.listen", listen + " is not a loopback address:"
                    + " set foc.secretFile or foc.tlsCertificate/tlsKey/tlsCa, or listen on 127.0.0.1 (anyone who reaches"
                    + " the server could otherwise read, add, drop or fence any volume's writes)");
        }
        FocServer server = new FocServer(listen, serve.directory(config.dataDir()), secret, tls);
        FocServerCommand.registerGauges(registry, server);
        return server;
    }

    /** {@code cluster.advertise.foc}, else the embedded FOC server's bound address (never a wildcard one). */
    private static String advertisedFoc(ClusterConfig.Advertise a, FocServer foc) {
        if (a.foc() != null || foc == null) {
            return a.foc();
        }
        InetSocketAddress bound = foc.localAddress();
        if (bound.getAddress().isAnyLocalAddress()) {
            throw new io.scoria.backend.config.ConfigException("cluster.advertise.foc", "is required when foc.serve.listen is"
                    + " a wildcard address (" + bound + "): other nodes need an address they can reach");
        }
        return bound.getAddress().getHostAddress() + ":" + bound.getPort();
    }

        private static String or(String advertised, String host, int port) {
        return advertised != null ? advertised : host + ":" + port;
    }

    /**
     * The REST API's settings from {@code config}: its {@code api:} address, tokens in
     * {@code <dataDir>/api-tokens.json}, the admin token in {@code <dataDir>/admin.token}.
     */
    public static ApiServerConfig apiSettings(ScoriaConfig config) {
        ScoriaConfig.Api a = config.api();
        try {
            ApiServerConfig c = ApiServerConfig.of(a.host(), a.port(), config.dataDir())
                    .withAllowed(a.allowedHosts(), a.allowedOrigins()).withMaxBodyBytes(a.maxBodyBytes());
            return a.tlsCertificate() == null ? c : c.withTls(new ApiServerConfig.Tls(a.tlsCertificate(), a.tlsKey()));
        } catch (IllegalArgumentException e) {
            throw new io.scoria.backend.config.ConfigException(e.getMessage());
        }
    }

    public int nbdPort() {
        return nbd.port();
    }

    /** The iSCSI target's port, or -1 if {@code iscsi.enabled} is false. */
    public int iscsiPort() {
        return iscsi == null ? -1 : iscsi.port();
    }

    public int apiPort() {
        return api.port();
    }

    /** The address the embedded FOC server ({@code foc.serve}) is bound to, or null without one. */
    public InetSocketAddress focServerAddress() {
        return focServer == null ? null : focServer.localAddress();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (cluster != null) {
            try {
                cluster.leave(); // rolling restart: hand every volume this node owns to another live node first
            } catch (RuntimeException e) {
                log.warn("handing this node's volumes over before stopping failed; fail-over takes them: {}", e.toString());
            }
        }
        try {
            if (sweeper != null) {
                sweeper.close();
            }
            api.close();
            schedules.close();
            jobs.close();
            lifecycle.close();
        } finally {
            try {
                if (iscsi != null) {
                    iscsi.close();
                }
                nbd.close();
            } finally {
                if (scrub != null) {
                    scrub.close();
                }
                readiness.close();
                try {
                    volumes.close();
                } finally {
                    if (focServer != null) {
                        focServer.close();
                    }
                }
            }
        }
        log.info("Scoria stopped");
    }
}
