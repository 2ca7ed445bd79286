package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.control.Host;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import io.scoria.backend.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The served OpenAPI document against the routes the server serves ({@link RouteTable}, which the
 * server's dispatch enforces, and {@link UiRoutes#ROUTES}), both ways, naming what is missing; every
 * operation has a unique operationId, the bearer security scheme holds for all but the public calls,
 * every path parameter has a pattern or an enum (the volume name's the engine's rule); and a probe of
 * a running server shows that each route of the table reaches a handler.
 */
class OpenApiRoutesTest {
    private static final Set<String> PUBLIC = Set.of("GET /openapi.yaml", "GET /v1/health", "GET /v1/ready", "GET /",
            "GET /ui", "GET /ui/", "GET /ui/{file}");
    private static final Map<String, String> SAMPLES = Map.of("{name}", "vol1", "{host}", "h1", "{snapshot}", "s1",
            "{id}", "0123456789ab", "{operation}", "repair", "{file}", "index.html", "{pool}", "desks");

    @TempDir
    Path dir;
    final ApiCalls calls = new ApiCalls();
    ApiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static JsonNode document() throws Exception {
        try (InputStream in = ApiServer.class.getResourceAsStream("/openapi.yaml")) {
            assertNotNull(in, "openapi.yaml is in the jar");
            return new ObjectMapper(new YAMLFactory()).readTree(in);
        }
    }

    private static Set<String> served() {
        Set<String> s = new TreeSet<>();
        RouteTable.ROUTES.forEach(r -> s.add(r.toString()));
        UiRoutes.ROUTES.forEach(r -> s.add(r.toString()));
        return s;
    }

    /** Every operation of the document as "METHOD /path" → its node. */
    private static Map<String, JsonNode> operations(JsonNode doc) {
        Map<String, JsonNode> ops = new java.util.TreeMap<>();
        doc.get("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(m -> {
            if (Set.of("get", "put", "post", "delete", "patch", "head", "options").contains(m.getKey())) {
                ops.put(m.getKey().toUpperCase(java.util.Locale.ROOT) + " " + p.getKey(), m.getValue());
            }
        }));
        return ops;
    }

    @Test
    void theDocumentAndTheServedRoutesAgreeBothWays() throws Exception {
        Set<String> documented = operations(document()).keySet();
        Set<String> served = served();
        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(documented);
        Set<String> notServed = new TreeSet<>(documented);
        notServed.removeAll(served);
        assertEquals(Set.of(), undocumented, "served routes missing from openapi.yaml");
        assertEquals(Set.of(), notServed, "routes in openapi.yaml that the server does not serve");
    }

    @Test
    void everyOperationHasAUniqueOperationIdAndTheBearerSchemeUnlessPublic() throws Exception {
        JsonNode doc = document();
        JsonNode scheme = doc.at("/components/securitySchemes/bearer");
        assertEquals("http", scheme.path("type").asText());
        assertEquals("bearer", scheme.path("scheme").asText());
        assertTrue(doc.get("security").toString().contains("bearer"), "bearer holds for every call by default");
        Set<String> ids = new HashSet<>();
        List<String> problems = new ArrayList<>();
        operations(doc).forEach((op, node) -> {
            String id = node.path("operationId").asText("");
            if (id.isEmpty() || !ids.add(id)) {
                problems.add(op + ": operationId '" + id + "' missing or repeated");
            }
            boolean open = node.has("security") && node.get("security").isEmpty();
            if (open != PUBLIC.contains(op)) {
                problems.add(op + (open ? " is documented public but needs a token" : " needs a token but is not documented so"));
            }
        });
        assertEquals(List.of(), problems);
    }

    @Test
    void everyPathParameterHasAPatternOrEnumAndTheNamePatternIsTheEngines() throws Exception {
        JsonNode doc = document();
        List<String> problems = new ArrayList<>();
        Map<String, String> patterns = new java.util.HashMap<>();
        doc.get("paths").fields().forEachRemaining(p -> {
            List<JsonNode> params = new ArrayList<>();
            p.getValue().path("parameters").forEach(params::add);
            p.getValue().fields().forEachRemaining(m -> m.getValue().path("parameters").forEach(params::add));
            for (JsonNode param : params) {
                if (param.has("$ref")) {
                    param = doc.at(param.get("$ref").asText().substring(1));
                }
                if (!param.path("in").asText().equals("path")) {
                    continue;
                }
                JsonNode schema = param.path("schema");
                if (!schema.has("pattern") && !schema.has("enum")) {
                    problems.add(p.getKey() + ": path parameter " + param.path("name").asText() + " has no pattern or enum");
                }
                if (schema.has("pattern")) {
                    patterns.put(param.path("name").asText(), schema.get("pattern").asText());
                }
            }
        });
        assertEquals(List.of(), problems);
        Pattern name = Pattern.compile(patterns.get("name"));
        for (String v : List.of("vol1", "desk-17", "a.b-c", "UPPER", "ab", "-vol", "vol-", "v_1", "x".repeat(63), "x".repeat(64))) {
            boolean engine;
            try {
                Names.checkNamespace(v);
                engine = true;
            } catch (IllegalArgumentException e) {
                engine = false;
            }
            assertEquals(engine, name.matcher(v).find(), "the documented volume name pattern and the engine on '" + v + "'");
        }
        assertEquals("^" + Host.NAME_PATTERN + "$", patterns.get("host"));
    }

    @Test
    void eachRouteOfTheTableReachesItsHandler() throws Exception {
        ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, dir);
        server = new ApiServer(config, new InMemoryVolumeService(), new ScoriaConfig.Volumes(null, null),
                ScoriaMetrics.newRegistry(), null, ApiServices.none(config));
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        assertTrue(unrouted(calls.call(server, "GET", "/v1/volumes/vol1/nothing-here", admin, null)),
                "an unknown path is told apart from a route whose resource is missing");
        assertTrue(unrouted(calls.call(server, "PATCH", "/v1/volumes", admin, "{}")), "another method of a known path");
        List<String> unreached = new ArrayList<>();
        for (RouteTable.Route r : RouteTable.ROUTES) {
            String path = r.template();
            for (var e : SAMPLES.entrySet()) {
                path = path.replace(e.getKey(), e.getValue());
            }
            boolean body = r.method().equals("POST") || r.method().equals("PUT");
            HttpResponse<String> answer = calls.call(server, r.method(), path, admin, body ? "{}" : null);
            if (unrouted(answer)) {
                unreached.add(r + " → " + answer.statusCode() + " " + answer.body());
            }
        }
        assertEquals(List.of(), unreached);
        assertFalse(RouteTable.ROUTES.isEmpty());
    }

    /** True if the server answered that no route matched (404 "no such resource" or 405). */
    private static boolean unrouted(HttpResponse<String> r) {
        return r.statusCode() == 405 || (r.statusCode() == 404 && r.body().contains("no such resource"));
    }
}
