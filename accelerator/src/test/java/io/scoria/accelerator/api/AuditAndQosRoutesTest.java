package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.control.QosRegistry;
import io.scoria.accelerator.health.Readiness;
import io.scoria.accelerator.frontend.QosLimits;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The QoS routes and the audit log of a real {@link ApiServer} on loopback. */
class AuditAndQosRoutesTest {
    @TempDir
    Path dir;
    final ApiCalls calls = new ApiCalls();
    final ObjectMapper json = new ObjectMapper();
    ApiServer server;
    QosRegistry qos;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start() {
        qos = QosRegistry.open(dir.resolve("qos.json"));
        server = new ApiServer(ApiServerConfig.of("127.0.0.1", 0, dir), new InMemoryVolumeService(),
                new ScoriaConfig.Volumes(null, null), ScoriaMetrics.newRegistry(), null,
                new ApiServices(null, null, qos, new Readiness(List.of(), Duration.ofSeconds(1), Duration.ZERO), null));
    }

    private HttpResponse<String> call(String method, String path, BearerToken token, String body) throws Exception {
        return calls.call(server, method, path, token, body);
    }

    @Test
    void qosCapsAreSetReadAndClearedAndGoWithTheVolume() throws Exception {
        start();
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        BearerToken viewer = server.tokens().create(Role.VIEWER).token();
        assertEquals(201, call("POST", "/v1/volumes", admin, "{\"name\":\"vm1\",\"size\":\"1MiB\"}").statusCode());
        assertEquals(404, call("GET", "/v1/volumes/nope/qos", admin, null).statusCode());

        HttpResponse<String> set = call("PUT", "/v1/volumes/vm1/qos", admin, "{\"writeIops\": 500, \"bandwidth\": 1048576}");
        assertEquals(200, set.statusCode(), set.body());
        JsonNode q = json.readTree(set.body());
        assertEquals(500, q.get("writeIops").asLong());
        assertEquals(1048576, q.get("bandwidth").asLong());
        assertEquals(0, q.get("iops").asLong());
        assertEquals(1.0, q.get("burstSeconds").asDouble());
        assertEquals(new QosLimits(0, 0, 500, 1048576, 0, 0, 1.0), qos.gate("vm1").limits());

        assertEquals(403, call("PUT", "/v1/volumes/vm1/qos", viewer, "{\"iops\": 1}").statusCode());
        assertEquals(200, call("GET", "/v1/volumes/vm1/qos", viewer, null).statusCode());
        HttpResponse<String> bad = call("PUT", "/v1/volumes/vm1/qos", admin, "{\"iops\": -3}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("iops must be >= 0"), bad.body());
        assertEquals(400, call("PUT", "/v1/volumes/vm1/qos", admin, "{\"iopps\": 3}").statusCode(), "unknown field");

        assertEquals(204, call("DELETE", "/v1/volumes/vm1/qos", admin, null).statusCode());
        assertEquals(QosLimits.NONE, qos.limits("vm1"));
        call("PUT", "/v1/volumes/vm1/qos", admin, "{\"iops\": 100}");
        assertEquals(204, call("DELETE", "/v1/volumes/vm1", admin, null).statusCode());
        assertEquals(QosLimits.NONE, QosRegistry.open(dir.resolve("qos.json")).limits("vm1"),
                "a deleted volume's caps are gone, also from the file");
    }

    @Test
    void changesAndRefusalsAreAuditedWithoutSecrets() throws Exception {
        start();
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        BearerToken viewer = server.tokens().create(Role.VIEWER).token();
        call("POST", "/v1/volumes", admin, "{\"name\":\"vm1\",\"size\":\"1MiB\"}");
        call("GET", "/v1/volumes", admin, null);                 // a read: not audited
        call("DELETE", "/v1/volumes/vm1", viewer, null);        // refused: 403
        call("GET", "/v1/volumes", null, null);                  // no token: 401
        call("DELETE", "/v1/volumes/vm1", admin, null);
        List<String> lines = Files.readAllLines(dir.resolve("audit.log"));
        assertEquals(4, lines.size(), String.join("\n", lines));
        String adminId = server.tokens().list().stream().filter(t -> t.role() == Role.ADMIN).findFirst().orElseThrow().id();
        JsonNode create = json.readTree(lines.get(0));
        assertEquals("POST", create.get("method").asText());
        assertEquals("/v1/volumes", create.get("path").asText());
        assertEquals(201, create.get("status").asInt());
        assertEquals(adminId, create.get("actor").asText());
        assertEquals("admin", create.get("role").asText());
        assertFalse(create.get("time").asText().isEmpty());
        JsonNode refused = json.readTree(lines.get(1));
        assertEquals(403, refused.get("status").asInt());
        assertEquals("viewer", refused.get("role").asText());
        JsonNode anonymous = json.readTree(lines.get(2));
        assertEquals(401, anonymous.get("status").asInt());
        assertEquals("-", anonymous.get("actor").asText());
        assertEquals(204, json.readTree(lines.get(3)).get("status").asInt());
        String all = String.join("\n", lines);
        assertFalse(all.contains(admin.value()) || all.contains(viewer.value()), "no token secret in the audit log");
    }
}
