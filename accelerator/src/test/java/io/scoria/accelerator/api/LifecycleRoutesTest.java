package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.control.Host;
import io.scoria.accelerator.control.HostRegistry;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.control.VolumeState;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Volume lifecycle states through a real {@link ApiServer}: shown in volume resources, refusals as 409 naming them. */
class LifecycleRoutesTest {
    @TempDir
    Path dir;
    final ApiCalls calls = new ApiCalls();
    final ObjectMapper json = new ObjectMapper();
    ApiServer server;
    VolumeLifecycle lifecycle;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (lifecycle != null) {
            lifecycle.close();
        }
    }

    private HttpResponse<String> call(String method, String path, BearerToken token, String body) throws Exception {
        return calls.call(server, method, path, token, body);
    }

    @Test
    void volumeResourcesCarryTheirLifecycleAndRefusedTransitionsAre409() throws Exception {
        ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, dir);
        InMemoryVolumeService volumes = new InMemoryVolumeService();
        HostRegistry hosts = HostRegistry.open(dir.resolve("hosts.json"));
        lifecycle = VolumeLifecycle.open(dir.resolve("lifecycle"), volumes, hosts, Duration.ZERO);
        server = new ApiServer(config, volumes, new ScoriaConfig.Volumes(null, null), ScoriaMetrics.newRegistry(), null,
                ApiServices.none(config).withHosts(hosts, null).withLifecycle(lifecycle));
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));

        HttpResponse<String> made = call("POST", "/v1/volumes", admin, "{\"name\":\"vol1\",\"size\":\"1MiB\"}");
        assertEquals(201, made.statusCode(), made.body());
        assertEquals("available", json.readTree(made.body()).get("lifecycle").asText());
        HttpResponse<String> again = call("POST", "/v1/volumes", admin, "{\"name\":\"vol1\",\"size\":\"1MiB\"}");
        assertEquals(409, again.statusCode());

        assertEquals(201, call("POST", "/v1/volumes/vol1/snapshots", admin, "{\"name\":\"s1\"}").statusCode());
        HttpResponse<String> clone = call("POST", "/v1/volumes/vol1/clones", admin, "{\"name\":\"cl1\",\"snapshot\":\"s1\"}");
        assertEquals(201, clone.statusCode(), clone.body());
        assertEquals("available", json.readTree(clone.body()).get(0).get("lifecycle").asText());
        HttpResponse<String> noSnap = call("POST", "/v1/volumes/vol1/clones", admin, "{\"name\":\"cl2\",\"snapshot\":\"nope\"}");
        assertEquals(404, noSnap.statusCode(), noSnap.body());
        assertEquals(VolumeState.DELETED, lifecycle.state("cl2"));

        hosts.add(new Host("h1", null, "h1", null, null, null));
        assertEquals(201, call("POST", "/v1/volumes/cl1/attachments", admin, "{\"host\":\"h1\"}").statusCode());
        JsonNode detail = json.readTree(call("GET", "/v1/volumes/cl1", admin, null).body());
        assertEquals("attached", detail.get("lifecycle").asText());
        for (JsonNode v : json.readTree(call("GET", "/v1/volumes", admin, null).body())) {
            assertEquals(v.get("name").asText().equals("cl1") ? "attached" : "available", v.get("lifecycle").asText());
        }
        lifecycle.detach("cl1", "h1");
        assertEquals(VolumeState.AVAILABLE, lifecycle.state("cl1"));

        lifecycle.attach(new io.scoria.accelerator.control.Attachment("cl1", "h1", false, false));
        HttpResponse<String> refused = call("POST", "/v1/volumes/cl1/clones", admin, "{\"name\":\"cl1\"}");
        assertEquals(409, refused.statusCode(), refused.body());
        assertEquals(200, call("DELETE", "/v1/volumes/cl1/attachments/h1", admin, null).statusCode());
        assertEquals(204, call("DELETE", "/v1/volumes/cl1", admin, null).statusCode());
        assertEquals(VolumeState.DELETED, lifecycle.state("cl1"));
        HttpResponse<String> gone = call("DELETE", "/v1/volumes/cl1", admin, null);
        assertEquals(404, gone.statusCode());
    }

    @Test
    void aDeleteTheTableRefusesNamesVolumeFromAndTo() throws Exception {
        ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, dir);
        InMemoryVolumeService volumes = new InMemoryVolumeService();
        server = new ApiServer(config, volumes, new ScoriaConfig.Volumes(null, null), ScoriaMetrics.newRegistry(), null,
                ApiServices.none(config));
        BearerToken admin = AdminTokenFile.read(dir.resolve("admin.token"));
        assertEquals(201, call("POST", "/v1/volumes", admin, "{\"name\":\"vol1\",\"size\":\"1MiB\"}").statusCode());
        // the server's own lifecycle (beside its token file): the volume as a running delete leaves it
        java.nio.file.Files.writeString(dir.resolve("lifecycle").resolve("states.json"),
                "{\"version\":1,\"states\":{\"vol1\":\"deleting\"}}");
        server.close();
        server = new ApiServer(config, volumes, new ScoriaConfig.Volumes(null, null), ScoriaMetrics.newRegistry(), null,
                ApiServices.none(config));
        HttpResponse<String> d = call("DELETE", "/v1/volumes/vol1", admin, null);
        assertEquals(409, d.statusCode(), d.body());
        assertTrue(d.body().contains("volume vol1 is deleting; it cannot become deleting"), d.body());
    }
}
