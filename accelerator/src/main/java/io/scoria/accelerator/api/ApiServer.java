package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeFencedException;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.control.JobException;
import io.scoria.accelerator.control.JobService;
import io.scoria.accelerator.control.QosRegistry;
import io.scoria.accelerator.control.CloneSetFailedException;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.health.Readiness;
import io.scoria.accelerator.scrub.ScrubApplier;
import io.scoria.distributor.store.Distributor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The management REST API (JSON; described by {@code openapi.yaml}) and the Prometheus
 * endpoint {@code /metrics}, on the JDK HTTP(S) server. Every request passes the
 * {@link RequestGuard} (Host, Origin, media type, size), then, except {@code /openapi.yaml} and
 * {@code /v1/health} and {@code /v1/ready} ({@link HealthRoutes}) and the dashboard's static files
 * under {@code /ui/} ({@link UiRoutes}; their data calls carry the token), bearer-token
 * authentication against the {@link TokenStore} (401) and the token's {@link Role} (403). Errors are RFC 9457 {@link Problem}s; an unexpected failure is
 * logged with an incident id and answered 500 with only that id. Starts listening in the
 * constructor (writing {@code admin.token} if configured and missing); {@link #close()} is
 * idempotent. Only the routes of the {@link RouteTable} are answered (404, or 405 for another method
 * of a known path). Thread-safe: requests run on a pool of 4 threads.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final String CHALLENGE = "Bearer realm=\"scoria\"";

    private final ApiServerConfig config;
    private final PrometheusMeterRegistry registry;
    private final TokenStore tokens;
    private final RequestGuard guard;
    private final VolumeRoutes volumeRoutes;
    private final VolumeService volumes;
    private final TokenRoutes tokenRoutes;
    private final QosRoutes qosRoutes;
    private final ScheduleRoutes scheduleRoutes;
    private final HostRoutes hostRoutes;
    private final PoolRoutes poolRoutes;
    private final AuditLog audit;
    private final JobRoutes jobRoutes;
    private final DistributorRoutes distributorRoutes;
    private final BackendRoutes backendRoutes;
    private final HealthRoutes healthRoutes;
    private final UiRoutes uiRoutes = new UiRoutes();
    private final NodeRoutes nodeRoutes;
    private final VolumeStatsRoutes statsRoutes;
    private final ObjectMapper json = Json.mapper();
    private final HttpServer http;
    private final ClusterRoutes clusterRoutes;
    private final ExecutorService executor;
    private final VolumeLifecycle ownLifecycle;
    private final ProjectScope scope;
    private boolean closed;

    /** Serves {@code volumes} as {@code config} says; {@code scrub} (may be null) applies scrub results. */
    public ApiServer(ApiServerConfig config, VolumeService volumes, ScoriaConfig.Volumes defaults,
                     PrometheusMeterRegistry registry, ScrubApplier scrub) {
        this(config, volumes, defaults, registry, scrub, ApiServices.none(config));
    }

    /** As above, answering {@code /v1/ready} with {@code readiness} (owned by the caller). */
    public ApiServer(ApiServerConfig config, VolumeService volumes, ScoriaConfig.Volumes defaults,
                     PrometheusMeterRegistry registry, ScrubApplier scrub, Readiness readiness) {
        this(config, volumes, defaults, registry, scrub, ApiServices.none(config).withReadiness(readiness));
    }

    /**
     * As above, with {@code jobs} (may be null: no {@code /v1/jobs}, no clone jobs) running long
     * operations and {@code distributor} (may be null: the backend is not one) behind
     * {@code /v1/distributor}; neither is owned by the server.
     */
    public ApiServer(ApiServerConfig config, VolumeService volumes, ScoriaConfig.Volumes defaults,
                     PrometheusMeterRegistry registry, ScrubApplier scrub, JobService jobs, Distributor distributor) {
        this(config, volumes, defaults, registry, scrub, ApiServices.none(config).withJobs(jobs, distributor));
    }

    /** As above, serving what {@code services} holds beside the volumes. */
    public ApiServer(ApiServerConfig config, VolumeService volumes, ScoriaConfig.Volumes defaults,
                     PrometheusMeterRegistry registry, ScrubApplier scrub, ApiServices services) {
        JobService jobs = services.jobs();
        Distributor distributor = services.distributor();
        this.qosRoutes = new QosRoutes(volumes, services.qos());
        this.scheduleRoutes = new ScheduleRoutes(services.schedules());
        this.ownLifecycle = services.lifecycle() == null ? VolumeLifecycle.open(
                config.tokenFile().resolveSibling("lifecycle"), volumes, services.hosts(), Duration.ZERO) : null;
        VolumeLifecycle lifecycle = services.lifecycle() == null ? ownLifecycle : services.lifecycle();
        this.hostRoutes = new HostRoutes(volumes, services.hosts(), services.wipeCheck(), lifecycle, services.pools());
        this.poolRoutes = new PoolRoutes(services.pools(), lifecycle);
        this.healthRoutes = new HealthRoutes(services.readiness());
        this.clusterRoutes = new ClusterRoutes(services.cluster());
        this.nodeRoutes = new NodeRoutes(services);
        this.statsRoutes = new VolumeStatsRoutes(volumes, services.volumeMeters());
        this.config = Objects.requireNonNull(config, "config");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.jobRoutes = new JobRoutes(jobs);
        this.scope = new ProjectScope(lifecycle, services.hosts(), services.pools(), jobRoutes);
        this.distributorRoutes = new DistributorRoutes(distributor, jobRoutes);
        this.volumeRoutes = new VolumeRoutes(volumes, defaults, scrub, jobRoutes, lifecycle);
        this.backendRoutes = new BackendRoutes(volumes, services.keyRing());
        this.volumes = volumes;
        this.tokens = TokenStore.open(config.tokenFile());
        if (config.adminTokenFile() != null) {
            AdminTokenFile.ensure(tokens, config.adminTokenFile());
        }
        this.tokenRoutes = new TokenRoutes(tokens);
        this.audit = new AuditLog(config.tokenFile().resolveSibling("audit.log"), AuditLog.DEFAULT_MAX_BYTES);
        this.guard = new RequestGuard(config);
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        try {
            if (config.tls() == null) {
                http = HttpServer.create(address, 64);
            } else {
                HttpsServer https = HttpsServer.create(address, 64);
                https.setHttpsConfigurator(new HttpsConfigurator(ApiTls.server(config.tls())));
                http = https;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen for the REST API on " + config.host() + ":" + config.port()
                    + ": " + e.getMessage(), e);
        }
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "api");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
        log.info("REST API listening on {}://{}:{}/v1", config.scheme(), config.host(), port());
        if (config.tls() == null && !config.loopbackOnly()) {
            log.warn("the REST API listens on {} beyond loopback without TLS: bearer tokens cross the network"
                    + " in clear text; configure api.tls (certificate and privateKey)", config.host());
        }
    }

    public int port() {
        return http.getAddress().getPort();
    }

    /** The tokens this server accepts. */
    public TokenStore tokens() {
        return tokens;
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        Reply reply;
        Map<String, String> headers = Map.of();
        TokenInfo[] caller = new TokenInfo[1]; // who made the call, once authenticated (for the audit log)
        try {
            guard.check(ex.getRequestMethod(), ex.getRequestHeaders());
            reply = dispatch(new ApiCall(ex, json, config.maxBodyBytes()), ex, caller);
            headers = reply.headers();
        } catch (ProblemException e) {
            reply = problem(e, path);
            headers = e.headers;
        } catch (VolumeNotFoundException e) {
            reply = problem(ProblemException.notFound(e.getMessage()), path);
        } catch (VolumeConflictException e) {
            reply = problem(new ProblemException(409, "conflict", "Conflict", e.getMessage()), path);
        } catch (JobException.NotFound e) {
            reply = problem(ProblemException.notFound(e.getMessage()), path);
        } catch (JobException.QueueFull e) {
            reply = problem(new ProblemException(429, "too-many-jobs", "Too many jobs", e.getMessage()), path);
        } catch (JobException.WrongState e) {
            reply = problem(new ProblemException(409, "job-finished", "Job finished", e.getMessage()), path);
        } catch (CloneSetFailedException e) {
            reply = problem(new ProblemException(500, "clone-set-failed", "Clone set failed", e.getMessage()), path);
        } catch (VolumeFencedException e) {
            reply = problem(new ProblemException(503, "fenced", "Fenced", e.getMessage()), path);
        } catch (IllegalArgumentException e) {
            reply = problem(ProblemException.badRequest(e.getMessage()), path);
        } catch (NullPointerException e) {
            reply = problem(ProblemException.badRequest("a required value is missing"), path);
        } catch (RuntimeException e) {
            String incident = UUID.randomUUID().toString();
            log.error("{} {} failed (incident {})", ex.getRequestMethod(), path, incident, e);
            reply = problem(new ProblemException(500, "internal-error", "Internal error",
                    "the request failed; the router logged it as incident " + incident), path);
        }
        if (AuditLog.recorded(ex.getRequestMethod(), reply.status())) {
            TokenInfo who = caller[0];
            audit.append(new AuditLog.Entry(Instant.now(), who == null ? "-" : who.id(),
                    who == null ? "-" : who.role().wireName(), who == null ? "-" : who.project(),
                    String.valueOf(ex.getRemoteAddress()),
                    ex.getRequestMethod(), path, reply.status()));
        }
        write(ex, reply, headers);
    }

    private Reply dispatch(ApiCall call, HttpExchange ex, TokenInfo[] callerOut) throws IOException {
        boolean get = call.method.equals("GET");
        if (UiRoutes.handles(call)) {
            return uiRoutes.route(call);
        }
        if (get && call.path.length == 1 && call.at(0).equals("openapi.yaml")) {
            return openApi();
        }
        if (get && call.path.length == 2 && call.at(0).equals("v1") && call.at(1).equals("health")) {
            return healthRoutes.health();
        }
        if (get && call.path.length == 2 && call.at(0).equals("v1") && call.at(1).equals("ready")) {
            return healthRoutes.ready(ex.getRequestURI().getRawPath(), authenticated(ex.getRequestHeaders()
                    .getFirst("Authorization")));
        }
        TokenInfo caller = authenticate(ex.getRequestHeaders().getFirst("Authorization"));
        callerOut[0] = caller;
        if (RouteTable.find(call.method, call.path).isEmpty()) {
            throw RouteTable.knownPath(call.path) ? call.methodNotAllowed() : call.notFound();
        }
        boolean adminOnly = call.at(0).equals("v1") && call.at(1).equals("tokens") || BackendRoutes.adminOnly(call);
        if (!caller.role().permits(call.method, adminOnly)) {
            throw new ProblemException(403, "forbidden", "Forbidden",
                    "a " + caller.role().wireName() + " token may not make this call");
        }
        return route(call.as(caller), get);
    }

    /** Answers an authenticated call whose route exists and whose role permits it, within its token's projects. */
    private Reply route(ApiCall call, boolean get) {
        scope.check(call);
        boolean tokenCall = call.at(0).equals("v1") && call.at(1).equals("tokens");
        if (call.path.length == 1 && call.at(0).equals("metrics")) {
            if (!get) {
                throw call.methodNotAllowed();
            }
            return new Reply(200, registry.scrape(), METRICS_TYPE);
        }
        if (tokenCall) {
            return tokenRoutes.route(call);
        }
        if (ClusterRoutes.handles(call)) {
            return clusterRoutes.route(call);
        }
        if (NodeRoutes.handles(call)) {
            return nodeRoutes.route(call);
        }
        if (VolumeStatsRoutes.handles(call)) {
            return statsRoutes.route(call);
        }
        if (call.at(0).equals("v1") && call.at(1).equals("hosts")) {
            return hostRoutes.route(call);
        }
        if (PoolRoutes.handles(call)) {
            return poolRoutes.route(call);
        }
        if (call.at(0).equals("v1") && call.at(1).equals("volumes")) {
            if (call.path.length == 4 && call.at(3).equals("qos")) {
                return qosRoutes.route(call);
            }
            if (call.path.length == 4 && call.at(3).equals("schedule")) {
                return scheduleRoutes.volume(call);
            }
            if (call.path.length == 4 && call.at(3).equals("space")) {
                return scheduleRoutes.space(call);
            }
            if (call.path.length >= 4 && HostRoutes.VOLUME_ACTIONS.contains(call.at(3))) {
                return hostRoutes.route(call);
            }
            if (call.path.length == 3 && call.method.equals("DELETE")) {
                hostRoutes.checkDetached(call.at(2));
            }
            Reply r = volumeRoutes.route(call);
            if (call.path.length == 3 && call.method.equals("DELETE")) {
                qosRoutes.deleted(call.at(2));
            }
            return r;
        }
        if (call.at(0).equals("v1") && call.at(1).equals("jobs")) {
            return jobRoutes.route(call, scope);
        }
        if (call.at(0).equals("v1") && call.at(1).equals("schedules")) {
            return scheduleRoutes.all(call);
        }
        if (call.at(0).equals("v1") && call.at(1).equals("distributor")) {
            return distributorRoutes.route(call);
        }
        if (BackendRoutes.handles(call)) {
            return backendRoutes.route(call);
        }
        throw call.notFound();
    }

    private boolean authenticated(String authorization) {
        if (authorization == null) {
            return false;
        }
        try {
            authenticate(authorization);
            return true;
        } catch (ProblemException e) {
            return false;
        }
    }

    private TokenInfo authenticate(String authorization) {
        if (authorization == null) {
            throw new ProblemException(401, "unauthorized", "Unauthorized",
                    "this call needs a bearer token (Authorization: Bearer TOKEN)", Map.of("WWW-Authenticate", CHALLENGE));
        }
        String[] parts = authorization.strip().split("\\s+", 2);
        if (parts.length == 2 && parts[0].equalsIgnoreCase("Bearer") && BearerToken.wellFormed(parts[1])) {
            var found = tokens.authenticate(BearerToken.of(parts[1]));
            if (found.isPresent()) {
                return found.get();
            }
        }
        throw new ProblemException(401, "invalid-token", "Unauthorized", "the bearer token is not valid",
                Map.of("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\""));
    }

    private static Reply openApi() throws IOException {
        try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) {
                throw ProblemException.notFound("openapi.yaml is not in this build");
            }
            return new Reply(200, new String(in.readAllBytes(), StandardCharsets.UTF_8), "application/yaml");
        }
    }

    private static Reply problem(ProblemException e, String path) {
        return new Reply(e.status, e.problem(path), Problem.MEDIA_TYPE);
    }

    private void write(HttpExchange ex, Reply reply, Map<String, String> headers) throws IOException {
        try (ex) {
            byte[] body;
            if (reply.body() == null) {
                body = new byte[0];
            } else if (reply.body() instanceof String text) {
                body = text.getBytes(StandardCharsets.UTF_8);
            } else {
                body = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(reply.body());
            }
            ex.getResponseHeaders().set("Content-Type", reply.contentType());
            ex.getResponseHeaders().set("Cache-Control", "no-store");
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            headers.forEach(ex.getResponseHeaders()::set);
            if (reply.status() == 204) {
                ex.sendResponseHeaders(204, -1);
            } else {
                ex.sendResponseHeaders(reply.status(), body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            http.stop(0);
            audit.close();
            executor.shutdown();
            if (ownLifecycle != null) {
                ownLifecycle.close();
            }
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
