package io.scoria.it.control;

import io.scoria.it.harness.RouterProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tenancy against the real {@code scoria serve}: the admin makes an operator token for each of two
 * projects ({@code scoria token create --project}); each token lists, shows, deletes, attaches and
 * detaches only its own project's volumes and hosts, both ways (the other's answer as if they did not
 * exist, also over raw HTTP), cannot make a volume in the other project nor take a name the other uses
 * (a conflict that names no project), and cannot make cluster-wide calls; the admin token sees both. A second
 * router with an empty data directory on the same backend answers the project the volume was made in.
 */
class TenancyIT {
    @TempDir
    Path dir;
    RouterProcess router;

    @AfterEach
    void stop() {
        if (router != null) {
            router.close();
        }
    }

    /** A new operator token of {@code project}, in a file. */
    private Path token(String project) throws Exception {
        return token(router, project);
    }

    /** A new operator token of {@code project} made on router {@code on}, in a file. */
    private Path token(RouterProcess on, String project) throws Exception {
        String out = on.ok("token", "create", "--role", "operator", "--project", project);
        assertTrue(out.contains("project " + project), out);
        List<String> lines = out.strip().lines().toList();
        Path file = dir.resolve(on.dataDir().getFileName() + "-" + project + ".token");
        Files.writeString(file, lines.get(lines.size() - 1) + "\n");
        return file;
    }

    private String ok(Path token, String... args) {
        return ok(router, token, args);
    }

    private static String ok(RouterProcess on, Path token, String... args) {
        RouterProcess.Result r = on.scoriaAs(token, args);
        assertEquals(0, r.code(), String.join(" ", args) + ": " + r.out() + r.err());
        return r.out();
    }

    /** Runs a command that must fail; returns what it printed. */
    private String refused(Path token, String... args) {
        return refused(router, token, args);
    }

    private static String refused(RouterProcess on, Path token, String... args) {
        RouterProcess.Result r = on.scoriaAs(token, args);
        assertNotEquals(0, r.code(), String.join(" ", args) + " should fail: " + r.out());
        return r.out() + r.err();
    }

    private HttpResponse<String> get(Path token, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(router.api() + path))
                .header("Authorization", "Bearer " + Files.readString(token).strip()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void twoProjectsSeeAndTouchOnlyTheirOwnVolumesAndHosts() throws Exception {
        router = RouterProcess.start(dir, "router", "{type: fs, fs: {root: " + dir.resolve("backend") + "}}");
        Path admin = router.dataDir().resolve("admin.token");
        Path a = token("team-a");
        Path b = token("team-b");

        assertTrue(ok(a, "volume", "create", "vol-a", "--size", "16MiB").contains("in project team-a"));
        assertTrue(ok(b, "volume", "create", "vol-b", "--size", "16MiB").contains("in project team-b"));
        String listA = ok(a, "volume", "list");
        String listB = ok(b, "volume", "list");
        assertTrue(listA.contains("vol-a ") && !listA.contains("vol-b "), listA);
        assertTrue(listB.contains("vol-b ") && !listB.contains("vol-a "), listB);
        String all = ok(admin, "volume", "list");
        assertTrue(all.lines().anyMatch(l -> l.startsWith("vol-a ") && l.strip().endsWith("team-a")), all);
        assertTrue(all.lines().anyMatch(l -> l.startsWith("vol-b ") && l.strip().endsWith("team-b")), all);

        // show and delete: the other project's volume does not exist for a token
        assertTrue(ok(a, "volume", "show", "vol-a").contains("team-a"));
        assertTrue(refused(a, "volume", "show", "vol-b").contains("no volume vol-b"));
        assertTrue(refused(b, "volume", "show", "vol-a").contains("no volume vol-a"));
        assertTrue(refused(a, "volume", "delete", "vol-b").contains("no volume vol-b"));
        assertTrue(refused(b, "volume", "delete", "vol-a").contains("no volume vol-a"));
        ok(b, "volume", "show", "vol-b");
        ok(a, "volume", "show", "vol-a");
        HttpResponse<String> other = get(a, "/v1/volumes/vol-b");
        HttpResponse<String> missing = get(a, "/v1/volumes/vol-z");
        assertEquals(404, other.statusCode(), other.body());
        assertEquals(missing.body().replace("vol-z", "vol-b"), other.body(), "the same answer as for a missing volume");
        assertEquals(403, get(a, "/metrics").statusCode(), "cluster-wide calls need a token of every project");

        // names are unique across projects, and a token makes volumes only in its project
        String taken = refused(a, "volume", "create", "vol-b", "--size", "16MiB");
        assertTrue(taken.contains("exists") && !taken.contains("team-b"), taken);
        assertTrue(refused(a, "volume", "create", "vol-x", "--size", "16MiB", "--project", "team-b").contains("may not"));

        // hosts and attachments
        ok(a, "host", "add", "ha", "--address", "127.0.0.2/32");
        ok(b, "host", "add", "hb", "--address", "127.0.0.3/32");
        String hostsA = ok(a, "host", "list");
        assertTrue(hostsA.contains("ha (") && !hostsA.contains("hb ("), hostsA);
        String hostsB = ok(b, "host", "list");
        assertTrue(hostsB.contains("hb (") && !hostsB.contains("ha ("), hostsB);
        String hostsAll = ok(admin, "host", "list");
        assertTrue(hostsAll.contains("ha (") && hostsAll.contains("hb ("), hostsAll);
        assertTrue(refused(a, "volume", "attach", "vol-a", "--host", "hb").contains("no host hb"));
        assertTrue(refused(b, "volume", "attach", "vol-a", "--host", "hb").contains("no volume vol-a"));
        assertTrue(refused(admin, "volume", "attach", "vol-a", "--host", "hb").contains("project"),
                "not even the admin attaches a volume to another project's host");
        ok(a, "volume", "attach", "vol-a", "--host", "ha");
        ok(b, "volume", "attach", "vol-b", "--host", "hb");
        assertTrue(refused(b, "volume", "detach", "vol-a", "--host", "ha").contains("no volume vol-a"));
        assertTrue(refused(a, "volume", "detach", "vol-b", "--host", "hb").contains("no volume vol-b"));
        assertTrue(refused(b, "host", "remove", "ha").contains("no host ha"));
        assertTrue(ok(a, "volume", "attachments", "vol-a").contains("ha"));
        assertTrue(ok(admin, "volume", "attachments", "vol-b").contains("hb"));

        ok(a, "volume", "detach", "vol-a", "--host", "ha");
        ok(a, "volume", "delete", "vol-a");
        String after = ok(admin, "volume", "list");
        assertFalse(after.contains("vol-a "), after);
        assertTrue(after.contains("vol-b "), after);
        assertTrue(ok(b, "volume", "attachments", "vol-b").contains("hb"));

        // the project travels with the volume on the backend: a second router with an empty data directory on the
        // same backend (another router, or this one after losing its data directory) answers vol-b as team-b's
        try (RouterProcess second = RouterProcess.start(dir, "router2", "{type: fs, fs: {root: " + dir.resolve("backend") + "}}")) {
            String listed = ok(second, second.dataDir().resolve("admin.token"), "volume", "list");
            assertTrue(listed.lines().anyMatch(l -> l.startsWith("vol-b ") && l.strip().endsWith("team-b")), listed);
            Path a2 = token(second, "team-a");
            Path b2 = token(second, "team-b");
            assertTrue(ok(second, b2, "volume", "show", "vol-b").contains("team-b"));
            assertFalse(ok(second, a2, "volume", "list").contains("vol-b "));
            assertTrue(refused(second, a2, "volume", "show", "vol-b").contains("no volume vol-b"));
        }
    }
}
