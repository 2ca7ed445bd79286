package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.metrics.VolumeMeters;
import io.scoria.accelerator.metrics.VolumeMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard's routes on a real {@link ApiServer}: static files under {@code /ui/} without a
 * token but with a strict Content-Security-Policy, nothing else reachable through them, and the
 * JSON the pages read ({@code /v1/node}, {@code /v1/volumes/NAME/stats}) only with a token.
 */
class DashboardRoutesTest {
    @TempDir
    Path dir;
    final ApiCalls calls = new ApiCalls();
    final ObjectMapper json = new ObjectMapper();
    ApiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private VolumeMetrics start(int labelLimit) {
        PrometheusMeterRegistry registry = ScoriaMetrics.newRegistry();
        VolumeMetrics meters = new VolumeMetrics(registry, labelLimit, v -> Optional.empty());
        ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, dir);
        server = new ApiServer(config, new InMemoryVolumeService(), new ScoriaConfig.Volumes(null, null), registry, null,
                ApiServices.none(config).withVolumeMeters(meters));
        return meters;
    }

    private HttpResponse<String> call(String method, String path, BearerToken token, String body) throws Exception {
        return calls.call(server, method, path, token, body);
    }

    @Test
    void staticFilesAreServedWithoutATokenUnderAStrictPolicyAndNothingElse() throws Exception {
        start(10);
        HttpResponse<String> page = call("GET", "/ui/", null, null);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("script-src 'self'") && csp.contains("default-src 'none'")
                && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), csp);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());
        assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElseThrow());
        assertFalse(page.body().contains("<script>"), "no inline script");
        assertTrue(page.body().contains("/ui/js/main.js"));

        HttpResponse<String> script = call("GET", "/ui/js/volume.js", null, null);
        assertEquals(200, script.statusCode());
        assertTrue(script.headers().firstValue("Content-Type").orElseThrow().startsWith("text/javascript"));
        assertFalse(script.body().contains("innerHTML"), "names are inserted as text");
        HttpResponse<String> chart = call("GET", "/ui/vendor/uPlot.iife.min.js", null, null);
        assertEquals(200, chart.statusCode());
        assertTrue(chart.body().contains("uPlot"));

        assertEquals("/ui/", call("GET", "/", null, null).headers().firstValue("Location").orElseThrow());
        assertEquals(302, call("GET", "/ui", null, null).statusCode());
        assertEquals(404, call("GET", "/ui/nope.js", null, null).statusCode());
        assertEquals(404, call("GET", "/ui/..%2Fopenapi.yaml", null, null).statusCode());
        assertEquals(404, call("GET", "/ui/%2E%2E/%2E%2E/logback.xml", null, null).statusCode());
        assertEquals(404, call("GET", "/ui/js/../../META-INF/MANIFEST.MF", null, null).statusCode());
        assertEquals(405, call("POST", "/ui/", null, "{}").statusCode());
        assertEquals(401, call("GET", "/v1/volumes", null, null).statusCode(), "data calls still need the token");
    }

    @Test
    void nodeSaysWhatThisRouterServes() throws Exception {
        start(10);
        assertEquals(401, call("GET", "/v1/node", null, null).statusCode());
        BearerToken viewer = server.tokens().create(Role.VIEWER).token();
        HttpResponse<String> r = call("GET", "/v1/node", viewer, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode n = json.readTree(r.body());
        assertFalse(n.get("jobs").asBoolean());
        assertFalse(n.get("distributor").asBoolean());
        assertFalse(n.get("cluster").asBoolean());
        assertTrue(n.get("volumeStats").asBoolean());
        assertFalse(n.get("hosts").asBoolean());
        assertFalse(n.get("space").asBoolean());
        assertEquals(405, call("POST", "/v1/node", AdminTokenFile.read(dir.resolve("admin.token")), "{}").statusCode());
    }

    @Test
    void statsCountAVolumesRequestsAndSayWhenTheyAreShared() throws Exception {
        VolumeMetrics meters = start(1);
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        assertEquals(201, call("POST", "/v1/volumes", admin, "{\"name\":\"vm1\",\"size\":\"1MiB\"}").statusCode());
        assertEquals(201, call("POST", "/v1/volumes", admin, "{\"name\":\"vm2\",\"size\":\"1MiB\"}").statusCode());
        assertEquals(401, call("GET", "/v1/volumes/vm1/stats", null, null).statusCode());
        assertEquals(404, call("GET", "/v1/volumes/nope/stats", admin, null).statusCode());
        assertEquals(405, call("POST", "/v1/volumes/vm1/stats", admin, "{}").statusCode());

        JsonNode idle = json.readTree(call("GET", "/v1/volumes/vm1/stats", admin, null).body());
        assertTrue(idle.get("label").isNull(), "not attached yet: " + idle);
        assertEquals(0, idle.at("/ops/write/requests").asLong());

        VolumeMeters vm1 = meters.meters("vm1");
        for (int i = 0; i < 3; i++) {
            vm1.recordElapsed(VolumeMeters.WRITE, 4096, 2_000_000, true);
        }
        vm1.recordElapsed(VolumeMeters.READ, 8192, 1_000_000, false);
        long before = System.currentTimeMillis();
        HttpResponse<String> r = call("GET", "/v1/volumes/vm1/stats", admin, null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode s = json.readTree(r.body());
        assertEquals("vm1", s.get("label").asText());
        assertFalse(s.get("shared").asBoolean());
        assertTrue(s.get("atMillis").asLong() >= before);
        assertEquals(3, s.at("/ops/write/requests").asLong());
        assertEquals(3 * 4096, s.at("/ops/write/bytes").asLong());
        assertEquals(0.006, s.at("/ops/write/latencySeconds").asDouble(), 1e-9);
        assertEquals(1, s.at("/ops/read/requests").asLong());
        assertEquals(0, s.at("/ops/read/bytes").asLong(), "a failed read moved no bytes");
        assertEquals(1, s.at("/ops/read/errors").asLong());

        meters.meters("vm2").recordElapsed(VolumeMeters.WRITE, 512, 1_000, true);
        JsonNode shared = json.readTree(call("GET", "/v1/volumes/vm2/stats", admin, null).body());
        assertEquals(VolumeMetrics.OTHER, shared.get("label").asText());
        assertTrue(shared.get("shared").asBoolean(), "past the label limit the figures are shared: " + shared);
    }
}
