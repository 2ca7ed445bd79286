package io.scoria.accelerator.cli;

import io.scoria.accelerator.Volume;
import io.scoria.accelerator.config.ConfigLoader;
import io.scoria.accelerator.config.ScoriaConfig;
import io.scoria.accelerator.testing.InMemoryVolumeService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ScoriaCliTest {
    @TempDir
    Path dir;
    InMemoryVolumeService service;
    ScoriaDaemon daemon;
    String api;

    record Run(int code, String out, String err) {
    }

    Run scoria(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 4];
        System.arraycopy(args, 0, full, 0, args.length);
        boolean help = args.length == 0 || args[args.length - 1].equals("--help");
        int code;
        if (help) {
            code = ScoriaMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        } else {
            full[args.length] = "--api";
            full[args.length + 1] = api;
            full[args.length + 2] = "--token-file";
            full[args.length + 3] = dir.resolve("admin.token").toString();
            code = ScoriaMain.execute(full, new PrintWriter(out), new PrintWriter(err));
        }
        return new Run(code, out.toString(), err.toString());
    }

    /** A command that does not talk to the API (no --api added). */
    Run local(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = ScoriaMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeEach
    void start() {
        ScoriaConfig cfg = ConfigLoader.parse("dataDir: " + dir + "\nnbd: {port: 0}\napi: {port: 0}\niscsi: {port: 0}\n", "test");
        service = new InMemoryVolumeService();
        daemon = new ScoriaDaemon(cfg, service);
        api = "http://127.0.0.1:" + daemon.apiPort();
    }

    @AfterEach
    void stop() {
        daemon.close();
        daemon.close();
    }

    @Test
    void changesBetweenSnapshotsPageThroughTheVolume() {
        assertEquals(0, scoria("volume", "create", "vm2", "--size", "1MiB").code());
        Volume v = service.open("vm2");
        v.write(0, ByteBuffer.wrap(new byte[4096]).put(0, (byte) 1), false);
        assertEquals(0, scoria("snapshot", "create", "vm2", "s1").code());
        v.write(8192, ByteBuffer.wrap(new byte[8192]).put(0, (byte) 2).put(4096, (byte) 3), false);
        v.write(65536, ByteBuffer.wrap(new byte[4096]).put(0, (byte) 4), false);
        assertEquals(0, scoria("snapshot", "create", "vm2", "s2").code());
        Run r = scoria("volume", "changes", "vm2", "--from", "s1", "--to", "s2");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("8192 4096", "12288 4096", "65536 4096", "3 ranges, 12288 bytes changed from s1 to s2"),
                r.out().lines().toList(), "the in-memory service answers per cluster; the CLI pages until next is -1");
        r = scoria("volume", "changes", "vm2", "--from", "s2", "--to", "nope");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nope"), r.err());
    }

    @Test
    void volumeSnapshotTemplateAndCloneFlow() {
        Run r = scoria("volume", "create", "vm1", "--size", "20MiB");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("created volume vm1 (20MiB, cluster 4KiB, SCO 4MiB)"), r.out());
        r = scoria("volume", "create", "vm1", "--size", "20MiB");
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("scoria: error: ") && r.err().contains("exists"), r.err());
        assertTrue(scoria("volume", "list").out().contains("vm1"));

        Volume v = service.open("vm1");
        v.write(0, ByteBuffer.wrap(new byte[]{1, 2, 3, 4}), false);
        r = scoria("snapshot", "create", "vm1", "before-upgrade");
        assertEquals(0, r.code(), r.err());
        assertTrue(scoria("snapshot", "list", "vm1").out().contains("before-upgrade"));
        v.write(0, ByteBuffer.wrap(new byte[]{9, 9, 9, 9}), false);
        assertEquals(0, scoria("volume", "rollback", "vm1", "before-upgrade").code());
        ByteBuffer b = ByteBuffer.allocate(4);
        v.read(0, b);
        assertArrayEquals(new byte[]{1, 2, 3, 4}, b.array());

        r = scoria("template", "create", "vm1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("template"), r.out());
        r = scoria("clone", "create", "vm1", "--count", "10", "--prefix", "desk-", "--wait");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("clone vm1 succeeded") && r.out().contains("10/10"), r.out());
        assertEquals(10, r.out().lines().filter(l -> l.startsWith("created clone desk-")).count(), r.out());
        for (int i = 1; i <= 10; i++) {
            Volume c = service.open("desk-" + i);
            b.clear();
            c.read(0, b);
            assertArrayEquals(new byte[]{1, 2, 3, 4}, b.array(), "clone sees the template");
            c.write(0, ByteBuffer.wrap(new byte[]{(byte) i}), false);
        }
        for (int i = 1; i <= 10; i++) {
            b.clear();
            service.open("desk-" + i).read(0, b);
            assertEquals((byte) i, b.get(0), "each clone is independently writable");
        }
        assertEquals(0, scoria("clone", "reset", "desk-3").code());
        b.clear();
        service.open("desk-3").read(0, b);
        assertArrayEquals(new byte[]{1, 2, 3, 4}, b.array());
        r = scoria("clone", "create", "vm1", "one");
        assertEquals(0, r.code(), r.err());
        r = scoria("volume", "delete", "vm1");
        assertEquals(1, r.code(), "clones depend on it");
        assertEquals(0, scoria("volume", "delete", "desk-1").code());
        assertTrue(scoria("volume", "info", "vm1").out().contains("before-upgrade"));
    }

    @Test
    void longOperationsAreJobs() throws Exception {
        assertEquals(0, scoria("volume", "create", "gold", "--size", "4MiB").code());
        assertEquals(0, scoria("template", "create", "gold").code());
        Run r = scoria("clone", "create", "gold", "--count", "3", "--prefix", "a-");
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("started job (j-[0-9a-f]{16})").matcher(r.out());
        assertTrue(m.find(), r.out());
        String id = m.group(1);
        r = scoria("job", "show", "--wait", id);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"state\" : \"succeeded\""), r.out());
        assertTrue(service.info("a-3").isPresent());
        r = scoria("job", "list");
        assertTrue(r.out().contains(id + " clone gold succeeded"), r.out());
        r = scoria("job", "cancel", id);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("already succeeded"), r.err());
        r = scoria("clone", "create", "gold", "--count", "3", "--prefix", "a-", "--wait");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("volume a-1 exists"), r.err());
        r = scoria("job", "show", "j-0000000000000000");
        assertEquals(1, r.code());
        assertEquals("scoria: error: no job j-0000000000000000", r.err().strip());
        r = scoria("distributor", "status");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not a distributor"), r.err());

        String token = java.nio.file.Files.readString(dir.resolve("admin.token")).strip();
        HttpResponse<String> bad = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(api + "/v1/jobs/..%2F..%2Fadmin.token")).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, bad.statusCode());
        assertEquals("application/problem+json", bad.headers().firstValue("Content-Type").orElse(""));
        assertTrue(bad.body().contains("urn:scoria:problem:not-found"), bad.body());
        HttpResponse<String> accepted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(api + "/v1/volumes/gold/clones")).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"count\": 2, \"prefix\": \"b-\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, accepted.statusCode(), accepted.body());
        assertTrue(accepted.headers().firstValue("Location").orElse("").matches("/v1/jobs/j-[0-9a-f]{16}"),
                accepted.headers().toString());
    }

    @Test
    void errorsAreOneLineWithNonZeroExit() {
        Run r = scoria("volume", "info", "nope");
        assertEquals(1, r.code());
        assertEquals("scoria: error: no volume nope", r.err().strip());
        r = scoria("volume", "create", "x", "--size", "lots");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--size"), r.err());
        r = scoria("volume", "create", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--size"), r.err());
        r = scoria("clone", "create", "vm1", "--count", "3");
        assertEquals(2, r.code());
        r = ScoriaCliTest.this.scoria("volume", "bogus");
        assertEquals(2, r.code());
        StringWriter err = new StringWriter();
        int code = ScoriaMain.execute(new String[]{"volume", "list", "--api", "http://127.0.0.1:1"},
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(1, code);
        assertTrue(err.toString().contains("cannot reach the Scoria API"), err.toString());
    }

    @Test
    void backendCheck() throws Exception {
        Path cfg = dir.resolve("check.yaml");
        java.nio.file.Files.writeString(cfg, "backend: {type: fs, fs: {root: " + dir.resolve("store") + "}}\n");
        Run r = local("backend", "check", "--config", cfg.toString(), "--probe-size", "64KiB");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("backend check passed"), r.out());
        Path file = java.nio.file.Files.writeString(dir.resolve("not-a-dir"), "x");
        java.nio.file.Files.writeString(cfg, "backend: {type: fs, fs: {root: " + file + "}}\n");
        r = local("backend", "check", "--config", cfg.toString());
        assertEquals(1, r.code(), r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("scoria: error: "), r.err());
    }

    @Test
    void backendCheckResolvesARelativeRootAgainstTheConfigFilesDirectory() throws Exception {
        Path etc = java.nio.file.Files.createDirectories(dir.resolve("etc"));
        Path cfg = java.nio.file.Files.writeString(etc.resolve("scoria.yaml"), "backend: {type: fs, fs: {root: objects}}\n");
        Run r = local("backend", "check", "--config", cfg.toString(), "--namespace", "probe-ns", "--probe-size", "64KiB");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(java.nio.file.Files.isDirectory(etc.resolve("objects")), "the store is under the config's directory");
        assertFalse(java.nio.file.Files.exists(Path.of("objects")), "not under the working directory");
        java.nio.file.Files.writeString(cfg, "backend: {type: s3, s3: {accessKey: {env: SCORIA_UNSET_ACCESS_KEY},"
                + " secretKey: {file: s3.secret}}}\n");
        r = local("backend", "check", "--config", cfg.toString());
        assertEquals(1, r.code(), r.out());
        assertEquals("scoria: error: " + cfg + ": backend.s3.accessKey: environment variable SCORIA_UNSET_ACCESS_KEY"
                + " is not set", r.err().strip());
    }

    @Test
    void helpOnEveryLevel() {
        for (String[] args : new String[][]{{"--help"}, {"serve", "--help"}, {"volume", "--help"},
                {"volume", "create", "--help"}, {"snapshot", "--help"}, {"snapshot", "create", "--help"},
                {"clone", "--help"}, {"clone", "create", "--help"}, {"template", "--help"},
                {"template", "create", "--help"}, {"backend", "--help"}, {"backend", "check", "--help"}, {"foc-server", "--help"},
                {"token", "--help"}, {"token", "create", "--help"}}) {
            Run r = scoria(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().contains("Usage: scoria"), r.out());
        }
    }

    HttpRequest.Builder request(String path) throws java.io.IOException {
        String token = java.nio.file.Files.readString(dir.resolve("admin.token")).strip();
        return HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json");
    }

    @Test
    void restErrorsAreProblemDetailsWithFittingStatusAndMetricsArePrometheusText() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        var notFound = http.send(request("/v1/volumes/nope").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, notFound.statusCode());
        assertTrue(notFound.body().contains("\"detail\""), notFound.body());
        var bad = http.send(request("/v1/volumes")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"a\", \"size\": \"1MiB\", \"colour\": 1}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("colour"), bad.body());
        var made = http.send(request("/v1/volumes")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"a\", \"size\": \"1MiB\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, made.statusCode(), made.body());
        var dup = http.send(request("/v1/volumes")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"a\", \"size\": \"1MiB\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(409, dup.statusCode());
        var badSize = http.send(request("/v1/volumes")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"b\", \"size\": \"1000\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, badSize.statusCode(), badSize.body());

        try (var nbd = new java.net.Socket("127.0.0.1", daemon.nbdPort())) {
            nbd.getInputStream().readNBytes(18); // an NBD client connects: the connection gauge moves
            var metrics = http.send(request("/metrics").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("scoria_nbd_connections 1.0"), metrics.body());
            assertTrue(metrics.body().contains("scoria_nbd_requests_seconds_bucket"), "latency histogram");
            assertTrue(metrics.body().contains("jvm_memory_used_bytes"));
        }
        var openapi = http.send(HttpRequest.newBuilder(URI.create(api + "/openapi.yaml")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, openapi.statusCode());
        assertTrue(openapi.body().startsWith("openapi: 3"));
    }

    @Test
    void tokenCommandsAndRolesFromTheCommandLine() throws Exception {
        Run r = local("volume", "list", "--api", api, "--token-file", dir.resolve("nope").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot read the token file"), r.err());
        Path empty = java.nio.file.Files.createDirectories(dir.resolve("elsewhere"));
        r = local("volume", "list", "--api", api, "--token-file", java.nio.file.Files.writeString(empty.resolve("t"),
                "scoria_wrong").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not valid"), r.err());

        r = scoria("token", "create", "--role", "viewer");
        assertEquals(0, r.code(), r.err());
        String secret = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        String id = r.out().split(" ")[2];
        Path viewer = java.nio.file.Files.writeString(dir.resolve("viewer.token"), secret + "\n");
        assertEquals(0, local("volume", "list", "--api", api, "--token-file", viewer.toString()).code());
        r = local("volume", "create", "x", "--size", "1MiB", "--api", api, "--token-file", viewer.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("viewer token may not"), r.err());
        r = local("token", "list", "--api", api, "--token-file", viewer.toString());
        assertEquals(1, r.code(), "a viewer may not list tokens");

        r = scoria("token", "list");
        assertTrue(r.out().contains(id) && r.out().contains("viewer") && r.out().contains("admin"), r.out());
        assertFalse(r.out().contains(secret), "secrets are never listed");
        assertEquals(0, scoria("token", "revoke", id).code());
        assertEquals(1, local("volume", "list", "--api", api, "--token-file", viewer.toString()).code());
        assertEquals(2, scoria("token", "create").code(), "--role is required");
        assertEquals(1, scoria("token", "create", "--role", "root").code());
    }

    @Test
    void theTokenComesFromTheFileTheEnvironmentOrTheDefaultAdminToken() throws Exception {
        Path fallback = dir.resolve("admin.token");
        Path other = java.nio.file.Files.writeString(dir.resolve("other.token"), "scoria_from-file\n");
        java.util.Map<String, String> env = java.util.Map.of("SCORIA_TOKEN", "scoria_from-env");
        assertEquals("scoria_from-file", ApiOptions.token(other, env, fallback).value());
        assertEquals("scoria_from-env", ApiOptions.token(null, env, fallback).value());
        assertEquals(java.nio.file.Files.readString(fallback).strip(),
                ApiOptions.token(null, java.util.Map.of(), fallback).value());
        assertEquals(null, ApiOptions.token(null, java.util.Map.of(), dir.resolve("missing")));
        Run r = local("volume", "list", "--api", api);
        assertEquals(1, r.code(), "no token in ./scoria-data here");
        assertTrue(r.err().contains("--token-file"), r.err());
    }

    @Test
    void httpsApiWithACaFile() throws Exception {
        io.scoria.accelerator.testing.SelfSignedCertificate cert =
                io.scoria.accelerator.testing.SelfSignedCertificate.generate(java.nio.file.Files.createDirectories(dir.resolve("tls")));
        ScoriaConfig cfg = ConfigLoader.parse("dataDir: " + dir.resolve("tls") + "\nnbd: {port: 0}\napi: {port: 0}\niscsi: {port: 0}\n", "test");
        var settings = ScoriaDaemon.apiSettings(cfg)
                .withTls(new io.scoria.accelerator.api.ApiServerConfig.Tls(cert.certificate(), cert.privateKey()));
        try (ScoriaDaemon secure = new ScoriaDaemon(cfg, settings, new InMemoryVolumeService(),
                io.scoria.accelerator.metrics.ScoriaMetrics.newRegistry(), null)) {
            String https = "https://127.0.0.1:" + secure.apiPort();
            String token = dir.resolve("tls/admin.token").toString();
            Run r = local("volume", "create", "s", "--size", "1MiB", "--api", https, "--token-file", token,
                    "--ca-file", cert.certificate().toString());
            assertEquals(0, r.code(), r.err());
            r = local("volume", "list", "--api", https, "--token-file", token);
            assertEquals(1, r.code(), "the JDK does not trust a self-signed certificate");
            assertTrue(r.err().contains("--ca-file"), r.err());
        }
    }
}
