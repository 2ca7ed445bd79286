package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.VolumeService;
import io.scoria.accelerator.VolumeSpec;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.volume.EngineConfig;
import io.scoria.accelerator.volume.LocalVolumeService;
import io.scoria.backend.metering.CountingObjectStore;
import io.scoria.backend.metering.RequestCounts;
import io.scoria.backend.metering.RequestLedger;
import io.scoria.backend.testing.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code GET /v1/volumes} in pages on a real {@link ApiServer} over a real engine: page sizes and
 * the {@code Link} to the next page, a cursor that creations and deletions between pages do not shift,
 * bad {@code limit}s refused with a 400 naming the bounds, and a listing that opens no volume and costs
 * no backend request per volume.
 */
class VolumeListPagingTest {
    @TempDir
    Path dir;
    private final ApiCalls calls = new ApiCalls();
    private final ObjectMapper json = new ObjectMapper();
    private final RequestLedger ledger = new RequestLedger();
    private LocalVolumeService engine;
    private ApiServer server;
    private BearerToken admin;

    @BeforeEach
    void start() throws Exception {
        engine = new LocalVolumeService(new CountingObjectStore(new InMemoryObjectStore(), "mem", ledger),
                EngineConfig.defaults(dir.resolve("flash")).withScoCacheBytes(16L << 20).withClusterCacheBytes(1L << 20));
        for (int i = 0; i < 25; i++) {
            engine.create(String.format("vol-%03d", i), new VolumeSpec(1L << 30, 4096, 1 << 20));
        }
        ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, dir);
        server = new ApiServer(config, engine, new ScoriaConfig.Volumes(null, null), ScoriaMetrics.newRegistry(), null,
                ApiServices.none(config));
        admin = AdminTokenFile.read(dir.resolve("admin.token"));
    }

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return calls.call(server, "GET", path, admin, null);
    }

    private List<String> names(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        List<String> out = new ArrayList<>();
        for (JsonNode v : json.readTree(r.body())) {
            out.add(v.get("name").asText());
        }
        return out;
    }

    private long backendRequests() {
        return ledger.snapshot().stream().map(RequestLedger.Entry::counts).reduce(RequestCounts.ZERO, RequestCounts::plus)
                .requests();
    }

    @Test
    void pagesFollowTheCursorAndTheLinkAndCoverEveryVolumeOnce() throws Exception {
        HttpResponse<String> first = get("/v1/volumes?limit=10");
        List<String> page1 = names(first);
        assertEquals(List.of("vol-000", "vol-001", "vol-002", "vol-003", "vol-004", "vol-005", "vol-006", "vol-007",
                "vol-008", "vol-009"), page1);
        assertEquals("</v1/volumes?limit=10&after=vol-009>; rel=\"next\"", first.headers().firstValue("Link").orElseThrow());

        // between two pages: a volume sorting before the cursor appears, one of the next page goes
        engine.create("vol-000a", new VolumeSpec(1L << 30, 4096, 1 << 20));
        engine.delete("vol-012");
        List<String> page2 = names(get("/v1/volumes?limit=10&after=vol-009"));
        assertEquals(List.of("vol-010", "vol-011", "vol-013", "vol-014", "vol-015", "vol-016", "vol-017", "vol-018",
                "vol-019", "vol-020"), page2, "continues right after the cursor: nothing repeated, nothing skipped");
        HttpResponse<String> last = get("/v1/volumes?limit=10&after=vol-020");
        assertEquals(List.of("vol-021", "vol-022", "vol-023", "vol-024"), names(last));
        assertTrue(last.headers().firstValue("Link").isEmpty(), "a short page is the last");
        assertEquals(List.of(), names(get("/v1/volumes?after=vol-024")));
        assertEquals(List.of("vol-024"), names(get("/v1/volumes?after=vol-023z")), "the cursor need not be a volume");

        List<String> all = names(get("/v1/volumes"));
        assertEquals(25, all.size(), "default page (1000) holds all 25 (one created, one deleted)");
        assertEquals(all.stream().sorted().toList(), all);
        assertEquals(VolumeService.MAX_PAGE, 10_000);
        assertEquals(25, names(get("/v1/volumes?limit=10000")).size());
    }

    @Test
    void badLimitsAndCursorsAreA400NamingTheParameter() throws Exception {
        for (String bad : List.of("0", "-1", "10001", "ten", "1.5", "")) {
            HttpResponse<String> r = get("/v1/volumes?limit=" + bad);
            assertEquals(400, r.statusCode(), bad + ": " + r.body());
            assertTrue(r.body().contains("'limit' must be a whole number from 1 to 10000"), r.body());
        }
        HttpResponse<String> r = get("/v1/volumes?after=");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("'after'"), r.body());
        assertThrows(IllegalArgumentException.class, () -> engine.list(null, 0));
        assertThrows(IllegalArgumentException.class, () -> engine.list(null, VolumeService.MAX_PAGE + 1));
    }

    @Test
    void listingOpensNoVolumeAndScansTheBackendAtMostOncePerInterval() throws Exception {
        names(get("/v1/volumes?limit=5")); // the first call may scan (the start's scan was moments ago)
        long before = backendRequests();
        for (int i = 0; i < 20; i++) {
            assertEquals(25, names(get("/v1/volumes")).size());
            names(get("/v1/volumes?limit=3&after=vol-010"));
        }
        long spent = backendRequests() - before;
        assertTrue(spent <= 2, "40 listings of 25 volumes cost " + spent + " backend requests");
        for (int i = 0; i < 25; i++) {
            assertTrue(engine.counters(String.format("vol-%03d", i)).isEmpty(), "listing opened vol-" + i);
        }
    }
}
