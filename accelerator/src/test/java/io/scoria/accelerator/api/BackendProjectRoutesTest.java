package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A volume's project travels with it on the backend: router A (a real engine) makes volumes of two projects and a
 * clone; router B, a real engine and API server with an empty data directory on the same backend (another router of
 * the backend, a cluster node, or A after losing its data directory), answers the same projects, lists a project
 * token only its project's volumes, and answers another project's volume 404 exactly as a missing one.
 */
class BackendProjectRoutesTest {
    @TempDir
    Path dir;
    final ApiCalls calls = new ApiCalls();
    final ObjectMapper json = new ObjectMapper();

    private LocalVolumeService engine(InMemoryObjectStore backend, String router) {
        return new LocalVolumeService(backend, EngineConfig.defaults(dir.resolve(router).resolve("data"))
                .withScoCacheBytes(64L << 20).withClusterCacheBytes(16L << 20));
    }

    private static JsonNode ok(ObjectMapper json, int status, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return json.readTree(r.body());
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("name").asText() + ":" + n.get("project").asText()));
        return out;
    }

    @Test
    void aRouterWithAnEmptyDataDirectoryAnswersTheProjectsTheVolumesWereMadeIn() throws Exception {
        try (InMemoryObjectStore backend = new InMemoryObjectStore()) {
            try (LocalVolumeService a = engine(backend, "a");
                 VolumeLifecycle lifeA = VolumeLifecycle.open(dir.resolve("a").resolve("lifecycle"), a, null, Duration.ZERO)) {
                lifeA.create("vol-a", VolumeSpec.ofSize(1 << 20), "team-a");
                lifeA.create("vol-b", VolumeSpec.ofSize(1 << 20), "team-b");
                lifeA.create("vol-d", VolumeSpec.ofSize(1 << 20));
                a.open("vol-a").snapshot("s1");
                lifeA.cloneSet("vol-a", "s1", List.of("vol-a-c"), VolumeLifecycle.CloneProgress.NONE);
                assertTrue(a.awaitUploads(Duration.ofSeconds(10)));
            }
            ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, Files.createDirectories(dir.resolve("b").resolve("api")));
            try (LocalVolumeService b = engine(backend, "b");
                 VolumeLifecycle lifeB = VolumeLifecycle.open(dir.resolve("b").resolve("lifecycle"), b, null, Duration.ZERO);
                 ApiServer server = new ApiServer(config, b, new ScoriaConfig.Volumes(null, null),
                         ScoriaMetrics.newRegistry(), null, ApiServices.none(config).withLifecycle(lifeB))) {
                assertEquals("team-a", lifeB.project("vol-a"));
                assertEquals("team-a", lifeB.project("vol-a-c"), "a clone is in its parent's project on every router");
                assertEquals("team-b", lifeB.project("vol-b"));
                assertEquals("default", lifeB.project("vol-d"));

                BearerToken admin = AdminTokenFile.read(dir.resolve("b").resolve("api").resolve("admin.token"));
                BearerToken teamA = token(server, admin, "team-a");
                BearerToken teamB = token(server, admin, "team-b");
                assertEquals(List.of("vol-a:team-a", "vol-a-c:team-a", "vol-b:team-b", "vol-d:default"),
                        names(ok(json, 200, calls.call(server, "GET", "/v1/volumes", admin, null))));
                assertEquals(List.of("vol-a:team-a", "vol-a-c:team-a"),
                        names(ok(json, 200, calls.call(server, "GET", "/v1/volumes", teamA, null))));
                assertEquals(List.of("vol-b:team-b"), names(ok(json, 200, calls.call(server, "GET", "/v1/volumes", teamB, null))));
                assertEquals("team-a", ok(json, 200, calls.call(server, "GET", "/v1/volumes/vol-a", teamA, null))
                        .get("project").asText());

                HttpResponse<String> other = calls.call(server, "GET", "/v1/volumes/vol-a", teamB, null);
                HttpResponse<String> missing = calls.call(server, "GET", "/v1/volumes/vol-z", teamB, null);
                assertEquals(404, other.statusCode(), other.body());
                assertEquals(ok(json, 404, missing).get("detail").asText().replace("vol-z", "vol-a"),
                        json.readTree(other.body()).get("detail").asText(), "the same answer as for a missing volume");
                assertEquals(404, calls.call(server, "DELETE", "/v1/volumes/vol-a-c", teamB, null).statusCode());
                assertTrue(b.info("vol-a-c").isPresent());
            }
        }
    }

    private BearerToken token(ApiServer server, BearerToken by, String project) throws Exception {
        JsonNode t = ok(json, 201, calls.call(server, "POST", "/v1/tokens", by,
                "{\"role\":\"operator\",\"project\":\"" + project + "\"}"));
        return BearerToken.of(t.get("token").asText());
    }
}
