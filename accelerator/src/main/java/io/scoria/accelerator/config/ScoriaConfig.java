package io.scoria.accelerator.config;

import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.cluster.ClusterConfig;
import io.scoria.accelerator.nbd.ExportPolicy;
import io.scoria.accelerator.nbd.NbdServerConfig;
import io.scoria.backend.config.ConfigException;
import io.scoria.backend.config.ConfigReader;
import io.scoria.backend.config.Durations;
import io.scoria.backend.config.Sizes;
import io.scoria.distributor.config.BackendConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Configuration of {@code scoria serve}: one immutable record per section, each validated in
 * its constructor; a missing section or key takes the default declared here, once. Read by
 * {@link ConfigLoader} with the shared {@link ConfigReader}: unknown keys refused by their full
 * path, relative paths (written or the default {@code dataDir}) resolved against the config
 * file's directory, secrets inline or from {@code {file: PATH}} / {@code {env: NAME}}. The
 * embedded default ({@link #embeddedDefault()}, no config file) keeps everything under
 * {@code ./scoria-data} of the working directory. Validation errors are
 * {@link ConfigException}s naming the key relative to the section's record.
 *
 * <p>YAML form (every key optional):
 * <pre>
 * dataDir: ./scoria-data
 * nbd: {host: 127.0.0.1, port: 10809, workerThreads: 16, maxInFlight: 256,
 *       tlsCertificate: null, tlsKey: null, tlsClientCa: null,
 *       defaultExport: {readOnly: false, tlsRequired: false, allowedClients: [], allowedIdentities: []},
 *       exports: {vm1: {allowedClients: [10.0.0.0/8], allowedIdentities: [host-a.example]}},
 *       limits: {maxConnections: 128, maxConnectionsPerExport: 32, maxInFlightBytes: 16MiB,
 *                memoryBudget: 512MiB, stallTimeout: 60s, idleTimeout: 0s}}
 *                        # limits: see io.scoria.accelerator.nbd.NbdLimits
 * api: {host: 127.0.0.1, port: 8080, tlsCertificate: null, tlsKey: null, allowedHosts: [], allowedOrigins: [],
 *       maxBodySize: 1MiB}
 *                        # bearer tokens in DATADIR/api-tokens.json, DATADIR/admin.token: see io.scoria.accelerator.api
 * backend: {type: fs, fs: {root: DATADIR/backend}}        # or s3, swift, distributor: the shared
 *                                                         # section of io.scoria.distributor.config.BackendConfig
 * cache: {clusterCache: 1GiB, scoCache: 2GiB}
 * volumes: {clusterSize: 4KiB, scoSize: 4MiB, scosPerTlog: 16, readAhead: 1MiB, maxTlogAge: 60s, idleClose: 0, maxOpen: 0}
 *                        # scoSize and scosPerTlog default by backend type: see BackendDefaults
 * foc: {address: 10.0.0.2:10900, mode: sync, connectTimeout: 2s, requestTimeout: 5s, secretFile: foc.secret}
 *                        # mode: sync (default with an address) | async | none (default without);
 *                        # secretFile: the cluster's FOC secret, as given to `scoria foc-server --secret-file`
 *                        # serve: {listen: 10.0.0.1:10900, dir: DIR}: a FOC server inside this process (FocServeSection)
 * scrub: {poll: 30s, grace: 60s, applyDutyCycle: 0.05, applyBatch: 128,
 *         auto: {schedule: "every 1h, keep 24 hourly + 7 daily", enabled: true, garbage: 0.2, ...}}
 *                        # applying scrub results: see io.scoria.accelerator.scrub.RelocationPacing;
 *                        # auto: snapshot schedules and automatic scrubs, see ScrubAutoSection
 * iscsi: {enabled: true, host: 127.0.0.1, port: 3260, iqnPrefix: iqn.2026-12.io.scoria, blockSize: 512,
 *         chap: {user: u, secret: {file: chap.secret}}, limits: {...}}
 *                        # the iSCSI target: see IscsiSection
 * monitoring: {volumeLabels: 100, minFreeFlash: 1GiB, probeTimeout: 2s}
 *                        # per-volume metric labels (the rest share volume="other"); /v1/ready checks
 * cluster: {zookeeper: 127.0.0.1:2181, nodeId: node-a, sessionTimeout: 10s, advertise: {foc: 10.0.0.1:10900}}
 *                        # optional: this router is a node of a cluster (io.scoria.accelerator.cluster.ClusterConfig);
 *                        # without it, a single router and no ZooKeeper
 * </pre>
 */
public record ScoriaConfig(Path dataDir, Nbd nbd, Api api, BackendConfig backend, Cache cache, Volumes volumes,
                           Foc foc, Scrub scrub, IscsiSection iscsi, Monitoring monitoring, ClusterConfig cluster) {
    /** The default {@code dataDir}, relative: to the config file's directory, or without one the working directory. */
    public static final String DEFAULT_DATA_DIR = "scoria-data";

    public ScoriaConfig {
        dataDir = dataDir != null ? dataDir : Path.of(DEFAULT_DATA_DIR);
        nbd = nbd != null ? nbd : new Nbd(null, null, null, null, null, null, null, null, null, null);
        api = api != null ? api : new Api(null, null, null, null, null, null, null);
        backend = backend != null ? backend : BackendConfig.fs(dataDir.resolve("backend"));
        cache = cache != null ? cache : new Cache(null, null);
        volumes = (volumes != null ? volumes : new Volumes(null, null)).withDefaults(BackendDefaults.of(backend));
        long scoBytes = volumes.spec(1L << 30).scoSize();
        check(cache.scoCacheBytes() >= 2 * scoBytes, "cache.scoCache", "must hold at least two SCOs of "
                + Sizes.format(scoBytes) + " (volumes.scoSize, by default by backend type): " + cache.scoCache());
        foc = foc != null ? foc : new Foc(null, null, null, null, null, null, null, null, null);
        scrub = scrub != null ? scrub : new Scrub(null, null, null, null, null);
        iscsi = iscsi != null ? iscsi : IscsiSection.defaults();
        monitoring = monitoring != null ? monitoring : new Monitoring(null, null, null);
        // cluster stays null without the section: a single router, no ZooKeeper
        io.scoria.accelerator.foc.FocMode fm = foc.focMode();
        check(fm == io.scoria.accelerator.foc.FocMode.NONE || foc.address() != null || cluster != null, "foc.address",
                "is required when foc.mode is " + foc.mode() + " (on a cluster node it may be left out: each volume's "
                        + "fail-over cache is then placed on another node's FOC server, cluster.advertise.foc)");
        check(foc.address() != null || fm != io.scoria.accelerator.foc.FocMode.ASYNC, "foc.mode",
                "async needs foc.address: a fail-over cache placed per volume needs sync");
    }

    /** The same config whose automatic scrubs read the backend from {@code file} unless it names another. */
    public ScoriaConfig withScrubConfigFile(Path file) {
        Scrub s = new Scrub(scrub.poll(), scrub.grace(), scrub.applyDutyCycle(), scrub.applyBatch(),
                scrub.auto().withConfigIfAbsent(file));
        return new ScoriaConfig(dataDir, nbd, api, backend, cache, volumes, foc, s, iscsi, monitoring, cluster);
    }

    public static ScoriaConfig embeddedDefault() {
        return new ScoriaConfig(null, null, null, null, null, null, null, null, null, null, null);
    }

    /** Local flash directory (metadata, SCO cache, cluster cache). */
    public Path flashDir() {
        return dataDir.resolve("flash");
    }

    public NbdServerConfig nbdServerConfig() {
        try {
            return new NbdServerConfig(nbd.host(), nbd.port(), nbd.workerThreads(), nbd.maxInFlight(),
                    NbdServerConfig.DEFAULT_MAX_PAYLOAD, nbd.tlsCertificate(), nbd.tlsKey(), nbd.defaultExport().policy(),
                    nbd.policies(), NbdServerConfig.DEFAULT_NEGOTIATION_TIMEOUT, nbd.tlsClientCa(), nbd.limits().limits());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("nbd", e.getMessage());
        }
    }

    /** The iSCSI target's settings; persistent reservations under {@code <dataDir>/iscsi-reservations}. */
    public io.scoria.accelerator.iscsi.IscsiServerConfig iscsiServerConfig() {
        return iscsi.serverConfig(dataDir.resolve("iscsi-reservations"));
    }

    public record Nbd(String host, Integer port, Integer workerThreads, Integer maxInFlight, Path tlsCertificate,
                      Path tlsKey, Path tlsClientCa, Export defaultExport, Map<String, Export> exports,
                      NbdLimitsSection limits) {
        public Nbd {
            host = host != null ? host : "127.0.0.1";
            port = port != null ? port : NbdServerConfig.DEFAULT_PORT;
            workerThreads = workerThreads != null ? workerThreads : 16;
            maxInFlight = maxInFlight != null ? maxInFlight : 256;
            defaultExport = defaultExport != null ? defaultExport : new Export(null, null, null, null);
            exports = exports != null ? Map.copyOf(exports) : Map.of();
            limits = limits != null ? limits : new NbdLimitsSection(null, null, null, null, null, null);
            check(port >= 0 && port <= 65535, "port", "must be 0-65535: " + port);
            check(workerThreads >= 1 && workerThreads <= 1024, "workerThreads", "must be 1-1024: " + workerThreads);
            check(maxInFlight >= 1 && maxInFlight <= 65536, "maxInFlight", "must be 1-65536: " + maxInFlight);
            check((tlsCertificate == null) == (tlsKey == null), "tlsKey", "tlsCertificate and tlsKey go together");
            check(tlsClientCa == null || tlsCertificate != null, "tlsClientCa",
                    "needs tlsCertificate and tlsKey (client certificates are only asked for over TLS)");
        }

        Map<String, ExportPolicy> policies() {
            Map<String, ExportPolicy> m = new java.util.HashMap<>();
            exports.forEach((k, v) -> m.put(k, v.policy()));
            return m;
        }
    }

    /**
     * An export's policy ({@link ExportPolicy}): {@code allowedIdentities} are the names (subject CN
     * or DNS name) of TLS client certificates, verified against {@code nbd.tlsClientCa}, that may use it.
     */
    public record Export(Boolean readOnly, Boolean tlsRequired, List<String> allowedClients,
                         List<String> allowedIdentities) {
        public Export {
            readOnly = readOnly != null && readOnly;
            tlsRequired = tlsRequired != null && tlsRequired;
            allowedClients = allowedClients != null ? List.copyOf(allowedClients) : List.of();
            allowedIdentities = allowedIdentities != null ? List.copyOf(allowedIdentities) : List.of();
            try {
                policy0(readOnly, tlsRequired, allowedClients, allowedIdentities);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(e.getMessage().startsWith("allowedIdentities") ? "allowedIdentities"
                        : "allowedClients", e.getMessage());
            }
        }

        private static ExportPolicy policy0(boolean readOnly, boolean tls, List<String> allowed, List<String> ids) {
            return new ExportPolicy(readOnly, tls, allowed, ids);
        }

        public ExportPolicy policy() {
            return policy0(readOnly, tlsRequired, allowedClients, allowedIdentities);
        }
    }

    /**
     * {@code api}: the REST API's listener. {@code tlsCertificate}/{@code tlsKey} (PEM) switch it to
     * HTTPS; {@code allowedHosts} and {@code allowedOrigins} add to the loopback names and the API's own
     * origin that requests may name (DNS rebinding, cross-site requests); {@code maxBodySize} bounds a
     * request body.
     */
    public record Api(String host, Integer port, Path tlsCertificate, Path tlsKey, List<String> allowedHosts,
                      List<String> allowedOrigins, String maxBodySize) {
        public Api {
            host = host != null ? host : "127.0.0.1";
            port = port != null ? port : 8080;
            allowedHosts = allowedHosts != null ? List.copyOf(allowedHosts) : List.of();
            allowedOrigins = allowedOrigins != null ? List.copyOf(allowedOrigins) : List.of();
            maxBodySize = maxBodySize != null ? maxBodySize : "1MiB";
            check(port >= 0 && port <= 65535, "port", "must be 0-65535: " + port);
            check((tlsCertificate == null) == (tlsKey == null), "tlsKey", "tlsCertificate and tlsKey go together");
            long body = Sizes.parse("maxBodySize", maxBodySize);
            check(body >= 1024 && body <= (64 << 20), "maxBodySize", "must be 1KiB-64MiB: " + maxBodySize);
        }

        public int maxBodyBytes() {
            return (int) Sizes.parse("api.maxBodySize", maxBodySize);
        }
    }

    public record Cache(String clusterCache, String scoCache) {
        public Cache {
            clusterCache = clusterCache != null ? clusterCache : "1GiB";
            scoCache = scoCache != null ? scoCache : "2GiB";
            check(Sizes.parse("clusterCache", clusterCache) >= (16 << 20), "clusterCache",
                    "must be at least 16MiB: " + clusterCache);
            check(Sizes.parse("scoCache", scoCache) >= (64 << 20), "scoCache", "must be at least 64MiB: " + scoCache);
        }

        public long clusterCacheBytes() {
            return Sizes.parse("cache.clusterCache", clusterCache);
        }

        public long scoCacheBytes() {
            return Sizes.parse("cache.scoCache", scoCache);
        }
    }

    /**
     * {@code volumes}: what new volumes get and how volumes log and read. Unset values take the
     * defaults of the backend type ({@link BackendDefaults}): larger SCOs and more SCOs per TLog on
     * object stores, where every object is a billed request. {@code readAhead}: the window of
     * coalesced cold reads from backend SCOs (0 reads each missed cluster alone). {@code maxTlogAge}:
     * a TLog whose oldest write is this old is rolled and uploaded with its SCO (0: only by size).
     * {@code idleClose}: a volume with no request and no attached NBD/iSCSI session for this long is
     * closed (its memory and file descriptor released) and reopened by the next request (0: never).
     * {@code maxOpen}: at most this many volumes stay open besides those with an attached session, the
     * least recently used closed first (0: no bound).
     */
    public record Volumes(String clusterSize, String scoSize, Integer scosPerTlog, String readAhead, String maxTlogAge,
                          String idleClose, Integer maxOpen) {
        public Volumes {
            clusterSize = clusterSize != null ? clusterSize : "4KiB";
            readAhead = readAhead != null ? readAhead : "1MiB";
            maxTlogAge = maxTlogAge != null ? maxTlogAge : "60s";
            idleClose = idleClose != null ? idleClose : "10m";
            maxOpen = maxOpen != null ? maxOpen : 0;
            if (!maxTlogAge.equals("0")) {
                Durations.parse("maxTlogAge", maxTlogAge);
            }
            if (!idleClose.equals("0")) {
                Durations.parse("idleClose", idleClose);
            }
            check(maxOpen >= 0 && maxOpen <= 1_000_000, "maxOpen", "must be 0 (no bound) to 1000000: " + maxOpen);
            check(scosPerTlog == null || (scosPerTlog >= 1 && scosPerTlog <= 1024), "scosPerTlog",
                    "must be 1 to 1024: " + scosPerTlog);
            long ra = Sizes.parse("readAhead", readAhead);
            check(ra == 0 || (ra >= (64 << 10) && ra <= (16 << 20) && Long.bitCount(ra) == 1), "readAhead",
                    "must be 0 or a power of two from 64KiB to 16MiB: " + readAhead);
            spec(1L << 30, clusterSize, scoSize != null ? scoSize : "4MiB");
        }

        /** Cluster and SCO size only; the rest from the backend type's defaults. */
        public Volumes(String clusterSize, String scoSize) {
            this(clusterSize, scoSize, null, null, null, null, null);
        }

        /** These settings, with what is unset taken from {@code defaults}. */
        Volumes withDefaults(BackendDefaults defaults) {
            return new Volumes(clusterSize, scoSize != null ? scoSize : defaults.scoSize(),
                    scosPerTlog != null ? scosPerTlog : defaults.scosPerTlog(), readAhead, maxTlogAge, idleClose, maxOpen);
        }

        private static VolumeSpec spec(long size, String cluster, String sco) {
            long c = Sizes.parse("clusterSize", cluster);
            long s = Sizes.parse("scoSize", sco);
            check(c <= 65536, "clusterSize", "must be 4KiB to 64KiB: " + cluster);
            check(s <= VolumeSpec.MAX_SCO_SIZE, "scoSize", "must be 1MiB to 256MiB: " + sco);
            try {
                return new VolumeSpec(size, (int) c, (int) s);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("", e.getMessage());
            }
        }

        /** The spec of a new volume of {@code sizeBytes} with these defaults. */
        public VolumeSpec spec(long sizeBytes) {
            return spec(sizeBytes, clusterSize, scoSize != null ? scoSize : BackendDefaults.FS.scoSize());
        }

        /** SCOs per TLog (the fs backend's default when unset). */
        public int tlogScos() {
            return scosPerTlog != null ? scosPerTlog : BackendDefaults.FS.scosPerTlog();
        }

        public int readAheadBytes() {
            return (int) Sizes.parse("readAhead", readAhead);
        }

        public java.time.Duration maxTlogAgeDuration() {
            return maxTlogAge.equals("0") ? java.time.Duration.ZERO : Durations.parse("maxTlogAge", maxTlogAge);
        }

        public java.time.Duration idleCloseDuration() {
            return idleClose.equals("0") ? java.time.Duration.ZERO : Durations.parse("idleClose", idleClose);
        }
    }

    /**
     * {@code foc}: the fail-over cache server of this router's volumes. {@code mode} is
     * {@code sync} (a write is acknowledged once the FOC has it), {@code async} (only FLUSH/FUA
     * wait for it) or {@code none}; it defaults to {@code sync} when {@code address} is set, else
     * {@code none}. On a cluster node {@code address} may be left out with {@code mode: sync}: each
     * volume's FOC is then placed on another node's advertised FOC server. On a cluster node a DEGRADED
     * FOC holds acknowledgements (no write is acknowledged that only the node holds). Timeouts take
     * {@code ms}, {@code s} or {@code m} units. {@code serve} runs a FOC server for other nodes' volumes
     * inside this process ({@link FocServeSection}), with this section's secret and TLS settings.
     */
    public record Foc(String address, String mode, String connectTimeout, String requestTimeout, Path secretFile,
                      Path tlsCertificate, Path tlsKey, Path tlsCa, FocServeSection serve) {
        static final java.time.Duration DEFAULT_REQUEST_TIMEOUT = java.time.Duration.ofSeconds(5);

        public Foc {
            mode = mode != null ? mode : (address != null ? "sync" : "none");
            connectTimeout = connectTimeout != null ? connectTimeout : "2s";
            io.scoria.accelerator.foc.FocMode m;
            try {
                m = io.scoria.accelerator.foc.FocMode.parse(mode);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("mode", "must be sync, async or none: " + mode);
            }
            if (address != null) {
                try {
                    io.scoria.accelerator.foc.FocClientConfig.of(address, "probe", 4096, 0);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("address", "expected HOST:PORT, got '" + address + "'");
                }
            }
            Durations.parse("connectTimeout", connectTimeout);
            if (requestTimeout != null) {
                Durations.parse("requestTimeout", requestTimeout);
            }
            check(secretFile == null || java.nio.file.Files.isReadable(secretFile), "secretFile",
                    "cannot read " + secretFile);
            check((tlsCertificate == null) == (tlsKey == null) && (tlsCertificate == null) == (tlsCa == null),
                    "tlsCertificate", "tlsCertificate, tlsKey and tlsCa go together (mutual TLS with the cluster's CA)");
        }

        /** Mutual TLS of the FOC connections from {@code tlsCertificate}, {@code tlsKey}, {@code tlsCa}; null without. */
        public io.scoria.accelerator.foc.FocTls tls() {
            if (tlsCertificate == null) {
                return null;
            }
            try {
                return io.scoria.accelerator.foc.FocTls.load(tlsCertificate, tlsKey, tlsCa);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("foc.tlsCertificate", e.getMessage());
            }
        }

        /** The FOC secret from {@code secretFile}, or null without one. */
        public io.scoria.accelerator.foc.FocSecret secret() {
            if (secretFile == null) {
                return null;
            }
            try {
                return io.scoria.accelerator.foc.FocSecret.readFile(secretFile);
            } catch (RuntimeException e) {
                throw new ConfigException("foc.secretFile", e.getMessage());
            }
        }

        public io.scoria.accelerator.foc.FocMode focMode() {
            return io.scoria.accelerator.foc.FocMode.parse(mode);
        }

        public java.time.Duration connectTimeoutDuration() {
            return Durations.parse("foc.connectTimeout", connectTimeout);
        }

        /** {@code requestTimeout}, 5 s when not given (a router without a cluster). */
        public java.time.Duration requestTimeoutDuration() {
            return requestTimeout != null ? Durations.parse("foc.requestTimeout", requestTimeout) : DEFAULT_REQUEST_TIMEOUT;
        }

        /**
         * {@code requestTimeout} on a cluster node whose ZooKeeper session times out after {@code sessionTimeout}:
         * when not given, 5 s or three quarters of the session timeout, whichever is longer, so that ZooKeeper
         * suspends a partitioned node (two thirds of the session timeout without an answer) before its FOC turns
         * DEGRADED: the partition is then reported as what it is, and the FOC is not moved needlessly.
         */
        public java.time.Duration requestTimeoutDuration(java.time.Duration sessionTimeout) {
            if (requestTimeout != null) {
                return requestTimeoutDuration();
            }
            java.time.Duration three4 = sessionTimeout.multipliedBy(3).dividedBy(4);
            return three4.compareTo(DEFAULT_REQUEST_TIMEOUT) > 0 ? three4 : DEFAULT_REQUEST_TIMEOUT;
        }
    }

    /**
     * {@code scrub}: how the router applies scrub results. {@code poll}: how often results are
     * looked for; {@code grace}: how long obsolete objects stay after an apply;
     * {@code applyDutyCycle} and {@code applyBatch}: the pacing of relocations
     * ({@link io.scoria.accelerator.scrub.RelocationPacing}); {@code auto}: snapshot schedules and
     * automatic scrubs ({@link ScrubAutoSection}).
     */
    public record Scrub(String poll, String grace, Double applyDutyCycle, Integer applyBatch, ScrubAutoSection auto) {
        public Scrub {
            auto = auto != null ? auto : ScrubAutoSection.defaults();
            poll = poll != null ? poll : "30s";
            grace = grace != null ? grace : "60s";
            applyDutyCycle = applyDutyCycle != null ? applyDutyCycle
                    : io.scoria.accelerator.scrub.RelocationPacing.DEFAULT_DUTY_CYCLE;
            applyBatch = applyBatch != null ? applyBatch : io.scoria.accelerator.scrub.RelocationPacing.DEFAULT_BATCH;
            Durations.parse("poll", poll);
            Durations.parse("grace", grace);
            check(applyDutyCycle > 0 && applyDutyCycle <= 1, "applyDutyCycle", "must be in (0, 1]: " + applyDutyCycle);
            check(applyBatch >= 1 && applyBatch <= 65_536, "applyBatch", "must be 1-65536: " + applyBatch);
        }

        public java.time.Duration pollDuration() {
            return Durations.parse("scrub.poll", poll);
        }

        public java.time.Duration graceDuration() {
            return Durations.parse("scrub.grace", grace);
        }

        public io.scoria.accelerator.scrub.RelocationPacing pacing() {
            return io.scoria.accelerator.scrub.RelocationPacing.defaults().withDutyCycle(applyDutyCycle).withBatch(applyBatch);
        }
    }

    /**
     * {@code monitoring}: {@code volumeLabels}, how many volumes get their own label in the
     * per-volume metrics (the others share {@code volume="other"}; 0-10000); {@code minFreeFlash},
     * the free space on local flash below which {@code /v1/ready} fails; {@code probeTimeout}, how
     * long {@code /v1/ready} waits for each check (backend, fail-over cache).
     */
    public record Monitoring(Integer volumeLabels, String minFreeFlash, String probeTimeout) {
        public Monitoring {
            volumeLabels = volumeLabels != null ? volumeLabels : io.scoria.accelerator.metrics.VolumeMetrics.DEFAULT_LIMIT;
            minFreeFlash = minFreeFlash != null ? minFreeFlash : "1GiB";
            probeTimeout = probeTimeout != null ? probeTimeout : "2s";
            check(volumeLabels >= 0 && volumeLabels <= 10_000, "volumeLabels", "must be 0-10000: " + volumeLabels);
            Sizes.parse("minFreeFlash", minFreeFlash);
            check(!Durations.parse("probeTimeout", probeTimeout).isZero(), "probeTimeout", "must be more than 0");
        }

        public long minFreeFlashBytes() {
            return Sizes.parse("monitoring.minFreeFlash", minFreeFlash);
        }

        public java.time.Duration probeTimeoutDuration() {
            return Durations.parse("monitoring.probeTimeout", probeTimeout);
        }
    }

    private static void check(boolean ok, String key, String message) {
        ConfigException.check(ok, key, message);
    }
}
