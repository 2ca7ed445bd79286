package io.scoria.accelerator.api;

import io.scoria.accelerator.scrub.ScrubApplier;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.backend.config.Sizes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The management REST API (JSON; described by {@code openapi.yaml}) and the Prometheus
 * endpoint {@code /metrics}, on the JDK HTTP server. Errors are JSON {@code {status, error}}
 * with 400 (bad request), 404 (no such volume or snapshot), 409 (conflict) or 500. Starts
 * listening in the constructor; {@link #close()} is idempotent. Thread-safe.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final int MAX_BODY = 1 << 20;
    private static final int MAX_CLONES = 10_000;

    private final VolumeService volumes;
    private final ScrubApplier scrub;
    private final ScoriaConfig.Volumes defaults;
    private final PrometheusMeterRegistry registry;
    private final ObjectMapper json = Json.mapper();
    private final HttpServer http;
    private final ExecutorService executor;
    private boolean closed;

    public ApiServer(String host, int port, VolumeService volumes, ScoriaConfig.Volumes defaults,
                     PrometheusMeterRegistry registry) {
        this(host, port, volumes, defaults, registry, null);
    }

    /** As above; {@code scrub} (may be null) serves {@code POST /v1/volumes/NAME/scrub-results}. */
    public ApiServer(String host, int port, VolumeService volumes, ScoriaConfig.Volumes defaults,
                     PrometheusMeterRegistry registry, ScrubApplier scrub) {
        this.scrub = scrub;
        this.volumes = Objects.requireNonNull(volumes, "volumes");
        this.defaults = Objects.requireNonNull(defaults, "defaults");
        this.registry = Objects.requireNonNull(registry, "registry");
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen for the REST API on " + host + ":" + port + ": "
                    + e.getMessage(), e);
        }
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "api");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        http.start();
        log.info("REST API listening on http://{}:{}/v1", host, port());
    }

    public int port() {
        return http.getAddress().getPort();
    }

    private record Reply(int status, Object body) {
    }

    private void handle(HttpExchange ex) throws IOException {
        Reply reply;
        try {
            reply = route(ex);
        } catch (VolumeNotFoundException e) {
            reply = error(404, e.getMessage());
        } catch (VolumeConflictException e) {
            reply = error(409, e.getMessage());
        } catch (IllegalArgumentException | NullPointerException e) {
            reply = error(400, e.getMessage());
        } catch (JsonProcessingException e) {
            reply = error(400, "bad JSON body: " + e.getOriginalMessage());
        } catch (RuntimeException e) {
            log.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
            reply = error(500, e.toString());
        }
        try (ex) {
            byte[] body;
            String type;
            if (reply.body() instanceof String text) {
                body = text.getBytes(StandardCharsets.UTF_8);
                type = ex.getRequestURI().getPath().equals("/metrics")
                        ? "text/plain; version=0.0.4; charset=utf-8" : "application/yaml";
            } else {
                body = reply.body() == null ? new byte[0] : json.writerWithDefaultPrettyPrinter()
                        .writeValueAsBytes(reply.body());
                type = "application/json";
            }
            ex.getResponseHeaders().set("Content-Type", type);
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

    private static Reply error(int status, String message) {
        return new Reply(status, new ApiModel.Error(status, message == null ? "error" : message));
    }

    private Reply route(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String[] p = segments(ex.getRequestURI().getRawPath());
        if (p.length == 1 && p[0].equals("metrics") && method.equals("GET")) {
            return new Reply(200, registry.scrape());
        }
        if (p.length == 1 && p[0].equals("openapi.yaml") && method.equals("GET")) {
            try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.yaml")) {
                if (in == null) {
                    return error(404, "openapi.yaml is not in this build");
                }
                return new Reply(200, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        if (p.length < 2 || !p[0].equals("v1")) {
            return error(404, "no such resource: " + ex.getRequestURI().getPath());
        }
        if (p.length == 2 && p[1].equals("health") && method.equals("GET")) {
            return new Reply(200, java.util.Map.of("status", "ok"));
        }
        if (!p[1].equals("volumes")) {
            return error(404, "no such resource: " + ex.getRequestURI().getPath());
        }
        if (p.length == 2) {
            return switch (method) {
                case "GET" -> new Reply(200, volumes.list());
                case "POST" -> new Reply(201, create(body(ex, ApiModel.CreateVolume.class)));
                default -> methodNotAllowed(method);
            };
        }
        String name = p[2];
        if (p.length == 3) {
            return switch (method) {
                case "GET" -> new Reply(200, detail(name));
                case "DELETE" -> {
                    volumes.delete(name);
                    yield new Reply(204, null);
                }
                default -> methodNotAllowed(method);
            };
        }
        String action = p[3];
        if (action.equals("snapshots")) {
            if (p.length == 4) {
                return switch (method) {
                    case "GET" -> new Reply(200, volumes.open(name).listSnapshots());
                    case "POST" -> {
                        ApiModel.CreateSnapshot req = body(ex, ApiModel.CreateSnapshot.class);
                        yield new Reply(201, volumes.open(name).snapshot(required(req.name(), "name")));
                    }
                    default -> methodNotAllowed(method);
                };
            }
            if (p.length == 5 && method.equals("DELETE")) {
                volumes.open(name).deleteSnapshot(p[4]);
                return new Reply(204, null);
            }
            if (p.length == 5 && method.equals("GET")) {
                for (SnapshotInfo s : volumes.open(name).listSnapshots()) {
                    if (s.name().equals(p[4])) {
                        return new Reply(200, s);
                    }
                }
                throw new VolumeNotFoundException("volume " + name + " has no snapshot " + p[4]);
            }
        }
        if (p.length == 4 && method.equals("POST")) {
            switch (action) {
                case "rollback" -> {
                    ApiModel.Rollback req = body(ex, ApiModel.Rollback.class);
                    volumes.open(name).rollback(required(req.snapshot(), "snapshot"));
                    return new Reply(200, detail(name));
                }
                case "template" -> {
                    return new Reply(200, volumes.makeTemplate(name));
                }
                case "reset" -> {
                    return new Reply(200, volumes.resetToParent(name));
                }
                case "clones" -> {
                    return new Reply(201, clones(name, body(ex, ApiModel.CreateClones.class)));
                }
                case "scrub-results" -> {
                    if (scrub == null) {
                        return error(404, "this router does not apply scrub results");
                    }
                    return new Reply(200, scrub.applyPending(name));
                }
                default -> {
                }
            }
        }
        return error(404, "no such resource: " + method + " " + ex.getRequestURI().getPath());
    }

    private static Reply methodNotAllowed(String method) {
        return error(405, "method " + method + " not allowed here");
    }

    private VolumeInfo create(ApiModel.CreateVolume req) {
        String name = required(req.name(), "name");
        long size = Sizes.parse("size", required(req.size(), "size"));
        VolumeSpec base = defaults.spec(size);
        int cluster = req.clusterSize() == null ? base.clusterSize() : (int) Sizes.parse("clusterSize", req.clusterSize());
        int sco = req.scoSize() == null ? base.scoSize() : (int) Sizes.parse("scoSize", req.scoSize());
        return volumes.create(name, new VolumeSpec(size, cluster, sco));
    }

    private ApiModel.VolumeDetail detail(String name) {
        VolumeInfo info = volumes.info(name).orElseThrow(() -> new VolumeNotFoundException("no volume " + name));
        return new ApiModel.VolumeDetail(info, info.spec().sizeBytes(), volumes.open(name).listSnapshots());
    }

    private List<VolumeInfo> clones(String parent, ApiModel.CreateClones req) {
        List<String> names = new ArrayList<>();
        if (req.name() != null) {
            if (req.count() != null || req.prefix() != null) {
                throw new IllegalArgumentException("give either name, or count and prefix");
            }
            names.add(req.name());
        } else {
            int count = req.count() == null ? 1 : req.count();
            if (count < 1 || count > MAX_CLONES) {
                throw new IllegalArgumentException("count must be 1-" + MAX_CLONES + ": " + count);
            }
            String prefix = required(req.prefix(), "prefix (or name)");
            for (int i = 1; i <= count; i++) {
                names.add(prefix + i);
            }
        }
        for (String n : names) {
            if (volumes.info(n).isPresent()) {
                throw new VolumeConflictException("volume " + n + " exists; no clone was created");
            }
        }
        List<VolumeInfo> made = new ArrayList<>();
        for (String n : names) {
            made.add(volumes.clone(parent, req.snapshot(), n));
        }
        return made;
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("field '" + field + "' is required");
        }
        return value;
    }

    private <T> T body(HttpExchange ex, Class<T> type) throws IOException {
        byte[] raw = ex.getRequestBody().readNBytes(MAX_BODY + 1);
        if (raw.length > MAX_BODY) {
            throw new IllegalArgumentException("request body larger than " + MAX_BODY + " bytes");
        }
        if (raw.length == 0) {
            throw new IllegalArgumentException("a JSON body is required");
        }
        return json.readValue(raw, type);
    }

    private static String[] segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        return out.toArray(new String[0]);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            http.stop(0);
            executor.shutdown();
            try {
                executor.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
