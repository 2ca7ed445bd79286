package io.scoria.accelerator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.control.HostRegistry;
import io.scoria.accelerator.control.PoolBook;
import io.scoria.accelerator.control.Pools;
import io.scoria.accelerator.control.VolumeLifecycle;
import io.scoria.accelerator.metrics.ScoriaMetrics;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tenancy through a real {@link ApiServer}: tokens of two projects see, show, delete and attach only
 * their own project's volumes and hosts (another's answers 404 exactly like a missing name), cannot
 * make things in another project (403) nor make cluster-wide calls (403); names are unique across
 * projects (409 naming no project); the admin token of every project sees both.
 */
class TenancyRoutesTest {
    @TempDir
    Path dir;
    final ApiCalls calls = new ApiCalls();
    final ObjectMapper json = new ObjectMapper();
    ApiServer server;
    InMemoryVolumeService volumes;
    VolumeLifecycle lifecycle;
    HostRegistry hosts;
    BearerToken admin;

    @BeforeEach
    void start() {
        ApiServerConfig config = ApiServerConfig.of("127.0.0.1", 0, dir);
        volumes = new InMemoryVolumeService();
        hosts = HostRegistry.open(dir.resolve("hosts.json"));
        lifecycle = VolumeLifecycle.open(dir.resolve("lifecycle"), volumes, hosts, Duration.ZERO);
        server = new ApiServer(config, volumes, new ScoriaConfig.Volumes(null, null), ScoriaMetrics.newRegistry(), null,
                ApiServices.none(config).withHosts(hosts, null).withLifecycle(lifecycle)
                        .withPools(new Pools(lifecycle, PoolBook.open(dir.resolve("pools.json")), v -> false)));
        admin = AdminTokenFile.read(dir.resolve("admin.token"));
    }

    @AfterEach
    void stop() {
        server.close();
        lifecycle.close();
    }

    private HttpResponse<String> call(String method, String path, BearerToken token, String body) throws Exception {
        return calls.call(server, method, path, token, body);
    }

    private JsonNode ok(int status, HttpResponse<String> r) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        return r.body().isEmpty() ? null : json.readTree(r.body());
    }

    private BearerToken token(BearerToken by, String role, String project) throws Exception {
        JsonNode t = ok(201, call("POST", "/v1/tokens", by, "{\"role\":\"" + role + "\",\"project\":\"" + project + "\"}"));
        assertEquals(project, t.get("project").asText());
        return BearerToken.of(t.get("token").asText());
    }

    private List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.has("name") ? n.get("name").asText() : n.get("id").asText()));
        return out;
    }

    /** The problem detail of {@code r}, which must have {@code status}. */
    private String detail(int status, HttpResponse<String> r) throws Exception {
        return ok(status, r).get("detail").asText();
    }

    /** Operator tokens of team-a and team-b, each having made its volume (va, vb); [a, b]. */
    private BearerToken[] twoProjects() throws Exception {
        BearerToken a = token(admin, "operator", "team-a");
        BearerToken b = token(admin, "operator", "team-b");
        assertEquals("team-a", ok(201, call("POST", "/v1/volumes", a, "{\"name\":\"va\",\"size\":\"1MiB\"}"))
                .get("project").asText());
        ok(201, call("POST", "/v1/volumes", b, "{\"name\":\"vb\",\"size\":\"1MiB\"}"));
        return new BearerToken[] {a, b};
    }

    @Test
    void projectTokensSeeAndTouchOnlyTheirOwnProject() throws Exception {
        BearerToken[] tokens = twoProjects();
        BearerToken a = tokens[0];
        BearerToken b = tokens[1];
        ok(201, call("POST", "/v1/volumes", admin, "{\"name\":\"vd\",\"size\":\"1MiB\"}"));

        assertEquals(List.of("va"), names(ok(200, call("GET", "/v1/volumes", a, null))));
        assertEquals(List.of("vb"), names(ok(200, call("GET", "/v1/volumes", b, null))));
        assertEquals(List.of("va"), names(ok(200, call("GET", "/v1/volumes?limit=1", a, null))),
                "a full page of the project's own volumes");
        JsonNode all = ok(200, call("GET", "/v1/volumes", admin, null));
        assertEquals(List.of("va", "vb", "vd"), names(all));
        assertEquals("default", all.get(2).get("project").asText());
        assertEquals("team-b", ok(200, call("GET", "/v1/volumes/vb", admin, null)).get("project").asText());

        // another project's volume is answered exactly like one that does not exist
        String missing = detail(404, call("GET", "/v1/volumes/nothing", a, null));
        assertEquals(missing.replace("nothing", "vb"), detail(404, call("GET", "/v1/volumes/vb", a, null)));
        detail(404, call("GET", "/v1/volumes/va", b, null));
        detail(404, call("DELETE", "/v1/volumes/vb", a, null));
        detail(404, call("POST", "/v1/volumes/vb/snapshots", a, "{\"name\":\"s\"}"));
        detail(404, call("GET", "/v1/volumes/vb/attachments", a, null));
        ok(200, call("GET", "/v1/volumes/vb", b, null));

        // names are unique across projects; the conflict names no project
        String taken = detail(409, call("POST", "/v1/volumes", a, "{\"name\":\"vb\",\"size\":\"1MiB\"}"));
        assertFalse(taken.contains("team-b"), taken);
        detail(403, call("POST", "/v1/volumes", a, "{\"name\":\"vx\",\"size\":\"1MiB\",\"project\":\"team-b\"}"));
        ok(201, call("POST", "/v1/volumes", admin, "{\"name\":\"vx\",\"size\":\"1MiB\",\"project\":\"team-b\"}"));
        assertEquals("team-b", lifecycle.project("vx"));

        // clones stay in their parent's project
        ok(201, call("POST", "/v1/volumes/va/snapshots", a, "{\"name\":\"s1\"}"));
        assertEquals("team-a", ok(201, call("POST", "/v1/volumes/va/clones", a, "{\"name\":\"va-c\",\"snapshot\":\"s1\"}"))
                .get(0).get("project").asText());

        // cluster-wide calls need a token of every project
        detail(403, call("GET", "/metrics", a, null));
        detail(403, call("GET", "/v1/node", a, null));
        detail(403, call("GET", "/v1/cluster", a, null));
        assertEquals(200, call("GET", "/metrics", admin, null).statusCode());

        // deleting its own volume works; the other project's stays
        ok(204, call("DELETE", "/v1/volumes/va-c", a, null));
        ok(200, call("GET", "/v1/volumes/vb", b, null));
        List<String> audit = java.nio.file.Files.readAllLines(dir.resolve("audit.log"));
        JsonNode last = json.readTree(audit.get(audit.size() - 1));
        assertEquals("/v1/volumes/va-c", last.get("path").asText());
        assertEquals("team-a", last.get("project").asText(), "the audit log names the caller's project");
    }

    @Test
    void hostsAndAttachmentsStayInTheirProject() throws Exception {
        BearerToken[] tokens = twoProjects();
        BearerToken a = tokens[0];
        BearerToken b = tokens[1];
        assertEquals("team-a", ok(201, call("POST", "/v1/hosts", a, "{\"name\":\"ha\",\"address\":\"10.0.0.1/32\"}"))
                .get("project").asText());
        ok(201, call("POST", "/v1/hosts", b, "{\"name\":\"hb\",\"address\":\"10.0.0.2/32\"}"));
        detail(409, call("POST", "/v1/hosts", b, "{\"name\":\"ha\",\"address\":\"10.0.0.3/32\"}"));

        assertEquals(List.of("ha"), names(ok(200, call("GET", "/v1/hosts", a, null))));
        assertEquals(List.of("hb"), names(ok(200, call("GET", "/v1/hosts", b, null))));
        assertEquals(List.of("ha", "hb"), names(ok(200, call("GET", "/v1/hosts", admin, null))));
        detail(404, call("GET", "/v1/hosts/hb", a, null));
        detail(404, call("DELETE", "/v1/hosts/ha", b, null));

        detail(404, call("POST", "/v1/volumes/va/attachments", a, "{\"host\":\"hb\"}"));
        detail(404, call("POST", "/v1/volumes/vb/attachments", a, "{\"host\":\"ha\"}"));
        String mixed = detail(409, call("POST", "/v1/volumes/va/attachments", admin, "{\"host\":\"hb\"}"));
        assertTrue(mixed.contains("project"), mixed);
        ok(201, call("POST", "/v1/volumes/va/attachments", a, "{\"host\":\"ha\"}"));
        ok(201, call("POST", "/v1/volumes/vb/attachments", b, "{\"host\":\"hb\"}"));
        detail(404, call("DELETE", "/v1/volumes/va/attachments/ha", b, null));
        detail(404, call("DELETE", "/v1/volumes/vb/attachments/hb", a, null));
        assertEquals(1, hosts.attachments("va").size());
        assertEquals(1, hosts.attachments("vb").size());
        ok(200, call("DELETE", "/v1/volumes/va/attachments/ha", a, null));
        ok(200, call("DELETE", "/v1/volumes/vb/attachments/hb", b, null));
        ok(204, call("DELETE", "/v1/hosts/ha", a, null));
    }

    /**
     * A pool belongs to a project: its desktops are that project's (not the template's), a project token lists and
     * touches only its project's pools (another's is 404 like a missing one), makes pools only in its project and
     * only of templates it sees.
     */
    @Test
    void poolsAndTheirDesktopsStayInTheirProject() throws Exception {
        BearerToken[] tokens = twoProjects();
        BearerToken a = tokens[0];
        BearerToken b = tokens[1];
        ok(201, call("POST", "/v1/volumes", admin, "{\"name\":\"gold\",\"size\":\"1MiB\"}"));
        volumes.makeTemplate("gold");
        String pool = "{\"name\":\"pool-a\",\"template\":\"gold\",\"size\":2,\"prefix\":\"pa-\"";
        assertEquals(detail(404, call("GET", "/v1/volumes/gold", a, null)).replace("volume", "template"),
                detail(404, call("POST", "/v1/pools", a, pool + "}")), "a template a token does not see is missing");
        detail(403, call("POST", "/v1/pools", a, pool + ",\"project\":\"team-b\"}"));
        JsonNode made = ok(201, call("POST", "/v1/pools", admin, pool + ",\"project\":\"team-a\"}"));
        assertEquals("team-a", made.get("pool").get("project").asText());
        assertEquals("team-a", lifecycle.project("pa-1"));
        assertEquals("default", lifecycle.project("gold"));

        // team-a's own template: a pool of team-a by default
        ok(201, call("POST", "/v1/volumes", a, "{\"name\":\"tmpl-a\",\"size\":\"1MiB\"}"));
        volumes.makeTemplate("tmpl-a");
        assertEquals("team-a", ok(201, call("POST", "/v1/pools", a,
                "{\"name\":\"pool-a2\",\"template\":\"tmpl-a\",\"size\":1,\"prefix\":\"pb-\"}")).get("pool").get("project").asText());

        assertEquals(2, ok(200, call("GET", "/v1/pools", a, null)).size());
        assertEquals(0, ok(200, call("GET", "/v1/pools", b, null)).size());
        assertEquals(2, ok(200, call("GET", "/v1/pools", admin, null)).size());
        assertEquals(List.of("pa-1", "pa-2", "pb-1", "tmpl-a", "va"), names(ok(200, call("GET", "/v1/volumes", a, null))));
        assertEquals(List.of("vb"), names(ok(200, call("GET", "/v1/volumes", b, null))));
        String missing = detail(404, call("GET", "/v1/pools/nothing", b, null));
        assertEquals(missing.replace("nothing", "pool-a"), detail(404, call("GET", "/v1/pools/pool-a", b, null)));
        detail(404, call("POST", "/v1/pools/pool-a/reset", b, "{}"));
        detail(404, call("DELETE", "/v1/pools/pool-a", b, null));
        detail(404, call("GET", "/v1/volumes/pa-1", b, null));
        assertEquals("[\"pa-1\",\"pa-2\"]", ok(200, call("POST", "/v1/pools/pool-a/reset", a, "{}")).get("reset").toString());
        ok(201, call("POST", "/v1/volumes", admin, "{\"name\":\"gold2\",\"size\":\"1MiB\"}"));
        volumes.makeTemplate("gold2");
        detail(404, call("POST", "/v1/pools/pool-a/recompose", a, "{\"template\":\"gold2\"}"));
        JsonNode moved = ok(200, call("POST", "/v1/pools/pool-a/recompose", admin, "{\"template\":\"gold2\"}"));
        assertEquals(2, moved.get("recreated").size(), moved.toString());
        assertEquals("team-a", lifecycle.project("pa-1"), "desktops recreated by a recompose stay in the pool's project");
        assertEquals("gold2", volumes.info("pa-1").orElseThrow().parent());
        ok(204, call("DELETE", "/v1/pools/pool-a", a, null));
    }

    @Test
    void aProjectAdminManagesOnlyItsProjectsTokens() throws Exception {
        BearerToken adminA = token(admin, "admin", "team-a");
        BearerToken viewerA = token(adminA, "viewer", "team-a");
        BearerToken operatorB = token(admin, "operator", "team-b");
        detail(403, call("POST", "/v1/tokens", adminA, "{\"role\":\"viewer\",\"project\":\"team-b\"}"));
        detail(403, call("POST", "/v1/tokens", adminA, "{\"role\":\"admin\",\"project\":\"*\"}"));
        JsonNode mine = ok(201, call("POST", "/v1/tokens", adminA, "{\"role\":\"viewer\"}"));
        assertEquals("team-a", mine.get("project").asText(), "the caller's project by default");

        JsonNode listed = ok(200, call("GET", "/v1/tokens", adminA, null));
        listed.forEach(t -> assertEquals("team-a", t.get("project").asText(), listed.toString()));
        assertEquals(3, listed.size(), listed.toString());
        JsonNode every = ok(200, call("GET", "/v1/tokens", admin, null));
        assertEquals(5, every.size(), "admin.token and the four made: " + every);
        String bId = null;
        for (JsonNode t : every) {
            if (t.get("project").asText().equals("team-b")) {
                bId = t.get("id").asText();
            }
        }
        detail(404, call("DELETE", "/v1/tokens/" + bId, adminA, null));
        ok(200, call("GET", "/v1/volumes", operatorB, null));
        ok(204, call("DELETE", "/v1/tokens/" + mine.get("id").asText(), adminA, null));
        ok(200, call("GET", "/v1/volumes", viewerA, null));
        detail(400, call("POST", "/v1/tokens", admin, "{\"role\":\"viewer\",\"project\":\"Team A\"}"));
    }

    @Test
    void tokensStoredBeforeProjectsKeepTheReachOfEveryProject() throws Exception {
        Path file = dir.resolve("old-tokens.json");
        java.nio.file.Files.writeString(file, "{\"version\":1,\"tokens\":[{\"id\":\"3f2a9c1b0d4e\",\"role\":\"viewer\","
                + "\"created\":\"2026-12-01T10:00:00Z\",\"sha256\":\"" + "ab".repeat(32) + "\"}]}");
        TokenStore old = TokenStore.open(file);
        assertEquals(TokenInfo.ALL_PROJECTS, old.list().get(0).project());
        IssuedToken made = old.create(Role.VIEWER, "team-a");
        assertEquals("team-a", TokenStore.open(file).authenticate(made.token()).orElseThrow().project());
    }
}
