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
        String[] full = new String[args.length + 2];
        System.arraycopy(args, 0, full, 0, args.length);
        boolean help = args.length == 0 || args[args.length - 1].equals("--help");
        int code;
        if (help) {
            code = ScoriaMain.execute(args, new PrintWriter(out), new PrintWriter(err));
        } else {
            full[args.length] = "--api";
            full[args.length + 1] = api;
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
        ScoriaConfig cfg = ConfigLoader.parse("dataDir: " + dir + "\nnbd: {port: 0}\napi: {port: 0}\n", "test");
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
        r = scoria("clone", "create", "vm1", "--count", "10", "--prefix", "desk-");
        assertEquals(0, r.code(), r.err());
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
                {"template", "create", "--help"}, {"backend", "--help"}, {"backend", "check", "--help"}, {"foc-server", "--help"}}) {
            Run r = scoria(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().contains("Usage: scoria"), r.out());
        }
    }

    @Test
    void restErrorsAreJsonWithFittingStatusAndMetricsArePrometheusText() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        var notFound = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/volumes/nope")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, notFound.statusCode());
        assertTrue(notFound.body().contains("\"error\""), notFound.body());
        var bad = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/volumes"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"a\", \"size\": \"1MiB\", \"colour\": 1}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(bad.body().contains("colour"), bad.body());
        var made = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/volumes"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"a\", \"size\": \"1MiB\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, made.statusCode(), made.body());
        var dup = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/volumes"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"a\", \"size\": \"1MiB\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(409, dup.statusCode());
        var badSize = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/volumes"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"b\", \"size\": \"1000\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, badSize.statusCode(), badSize.body());

        try (var nbd = new java.net.Socket("127.0.0.1", daemon.nbdPort())) {
            nbd.getInputStream().readNBytes(18); // an NBD client connects: the connection gauge moves
            var metrics = http.send(HttpRequest.newBuilder(URI.create(api + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("scoria_nbd_connections{service=\"scoria\"} 1.0"), metrics.body());
            assertTrue(metrics.body().contains("scoria_nbd_requests_seconds_bucket"), "latency histogram");
            assertTrue(metrics.body().contains("jvm_memory_used_bytes"));
        }
        var openapi = http.send(HttpRequest.newBuilder(URI.create(api + "/openapi.yaml")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, openapi.statusCode());
        assertTrue(openapi.body().startsWith("openapi: 3"));
    }
}
