package io.scoria.it.observe;

import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metrics, readiness and the deploy/ files against real processes: s3proxy, {@code scoria
 * foc-server --metrics-listen}, {@code scoria serve} (one on S3 with a FOC, one on a distributor over
 * s3proxy and two directories) and {@code scoria-scrub --metrics-file}, with qemu-io doing NBD I/O.
 * Checks HELP on every family, per-volume series with a label limit of 2 and the {@code other}
 * label for the rest, histogram counts that move with I/O, {@code /v1/ready} answering 503 with the
 * failing check when s3proxy is stopped and when the FOC is killed, {@code promtool check rules} on
 * the alert file, and that every metric the alerts and the Grafana dashboard use is in a scrape.
 */
class ObservabilityIT {
    private static final Pattern METRIC = Pattern.compile("\\bscoria_[a-z0-9_]+");

    @TempDir
    Path dir;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private Path repo() {
        return Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
    }

    private String s3Yaml(S3ProxyServer s3) {
        return "{endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY + ", secretKey: "
                + S3ProxyServer.SECRET_KEY + ", conditionalPut: true}";
    }

    @Test
    void metricsReadinessAndDeployFilesAgainstRealProcesses() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.start("observe");
        toClose.add(s3);
        Path secret = dir.resolve("foc.secret");
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Files.writeString(secret, Base64.getEncoder().encodeToString(key) + "\n");
        int focPort = ManagedProcess.freePort();
        int focMetricsPort = ManagedProcess.freePort();
        ManagedProcess foc = ManagedProcess.start("foc-server", List.of(repo().resolve("scoria").toString(), "foc-server",
                "--listen", "127.0.0.1:" + focPort, "--dir", dir.resolve("foc").toString(), "--secret-file",
                secret.toString(), "--metrics-listen", "127.0.0.1:" + focMetricsPort), dir, dir.resolve("foc.log"));
        toClose.add(foc);
        foc.awaitReady(Duration.ofSeconds(60), () -> ManagedProcess.listening(focPort)
                && ManagedProcess.listening(focMetricsPort));

        Router router = new Router(dir, "router", "backend: {type: s3, s3: " + s3Yaml(s3) + "}\n"
                + "foc: {address: 127.0.0.1:" + focPort + ", mode: sync, connectTimeout: 500ms, requestTimeout: 2s, "
                + "secretFile: " + secret + "}\n" + "monitoring: {volumeLabels: 2, minFreeFlash: 1MiB, probeTimeout: 2s}\n");
        toClose.add(router);

        // liveness and readiness while everything is up
        assertEquals(200, router.get("/v1/health", false).statusCode());
        HttpResponse<String> ready = router.get("/v1/ready", true);
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"backend\"") && ready.body().contains("\"foc\"")
                && ready.body().contains("\"flash\""), ready.body());

        // four volumes, a label limit of two: vm1 and vm2 get their own series, vm3 and vm4 share "other"
        for (int i = 1; i <= 4; i++) {
            router.createVolume("vm" + i, "64MiB");
            router.qemuIo("vm" + i, "write -P " + i + " 0 1M", "read -P " + i + " 0 1M", "flush");
        }
        Exposition first = new Exposition(router.metrics());
        assertEquals(Set.of(), first.familiesWithoutHelp(), "families without HELP text");
        assertFalse(first.text.contains("service=\"scoria\""), "a common tag duplicating Prometheus' job is back");
        for (String v : List.of("vm1", "vm2")) {
            assertTrue(first.value("scoria_volume_request_seconds_count", "volume=\"" + v + "\"", "op=\"write\"") >= 1,
                    v + " writes not counted:\n" + first.text);
            assertEquals(1 << 20, first.value("scoria_volume_io_bytes_total", "volume=\"" + v + "\"", "op=\"read\""),
                    v + " read bytes");
            assertEquals(0.0, first.value("scoria_volume_foc_degraded", "volume=\"" + v + "\""), v + " FOC state");
        }
        assertFalse(first.text.contains("volume=\"vm3\"") || first.text.contains("volume=\"vm4\""),
                "volumes past the label limit got their own series");
        assertEquals(2 << 20, first.value("scoria_volume_io_bytes_total", "volume=\"other\"", "op=\"write\""),
                "vm3 + vm4 write bytes under other");
        double otherFlushes = first.value("scoria_volume_request_seconds_count", "volume=\"other\"", "op=\"flush\"");
        assertTrue(otherFlushes >= 2, "flushes of vm3 and vm4 under other: " + otherFlushes);
        assertTrue(first.text.contains("scoria_volume_request_seconds_bucket{op=\"read\",volume=\"vm1\",le=\"0.001\"}"),
                "read latency histogram buckets of vm1");
        assertTrue(first.value("scoria_volume_cache_hits_total", "volume=\"vm1\"")
                + first.value("scoria_volume_cache_misses_total", "volume=\"vm1\"") >= 0, "vm1 cache counters");

        // histogram counts move with I/O
        double writesBefore = first.value("scoria_volume_request_seconds_count", "volume=\"vm1\"", "op=\"write\"");
        double infBefore = first.value("scoria_volume_request_seconds_bucket", "volume=\"vm1\"", "op=\"write\"", "le=\"+Inf\"");
        router.qemuIo("vm1", "write -P 9 1M 64k", "write -P 9 2M 64k", "write -P 9 3M 64k");
        Exposition second = new Exposition(router.metrics());
        assertEquals(writesBefore + 3, second.value("scoria_volume_request_seconds_count", "volume=\"vm1\"", "op=\"write\""));
        assertEquals(infBefore + 3, second.value("scoria_volume_request_seconds_bucket", "volume=\"vm1\"", "op=\"write\"",
                "le=\"+Inf\""));
        assertTrue(second.value("scoria_volume_request_seconds_sum", "volume=\"vm1\"", "op=\"write\"")
                > first.value("scoria_volume_request_seconds_sum", "volume=\"vm1\"", "op=\"write\""), "latency sum moved");

        // the FOC server's own metrics
        Exposition focMetrics = new Exposition(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + focMetricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals(Set.of(), focMetrics.familiesWithoutHelp(), "foc-server families without HELP text");
        assertEquals(4.0, focMetrics.value("scoria_foc_server_volumes"), focMetrics.text);
        assertTrue(focMetrics.value("scoria_foc_server_connections") >= 1, focMetrics.text);

        // the scrub job's metrics file
        Path prom = dir.resolve("scrub-vm1.prom");
        runScrub(s3, "vm1", prom);
        Exposition scrub = new Exposition(Files.readString(prom));
        assertEquals(Set.of(), scrub.familiesWithoutHelp());
        assertEquals(0.0, scrub.value("scoria_scrub_running", "namespace=\"vm1\""));
        assertEquals(1.0, scrub.value("scoria_scrub_last_success", "namespace=\"vm1\""), scrub.text);

        // a distributor backend: per-store counters and writes below full redundancy
        Exposition distributor = distributorScrape(s3);

        // deploy/: promtool accepts the rules; every metric the rules and the dashboard use exists in a scrape
        Path alerts = repo().resolve("deploy/scoria-alerts.yml");
        Path dashboard = repo().resolve("deploy/scoria-grafana-dashboard.json");
        Process promtool = new ProcessBuilder("promtool", "check", "rules", alerts.toString()).redirectErrorStream(true).start();
        String promtoolOut = new String(promtool.getInputStream().readAllBytes());
        assertTrue(promtool.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, promtool.exitValue(), promtoolOut);
        Set<String> exported = new TreeSet<>();
        for (Exposition e : List.of(second, focMetrics, scrub, distributor)) {
            exported.addAll(e.sampleNames());
        }
        Set<String> used = new TreeSet<>();
        for (Path f : List.of(alerts, dashboard)) {
            Matcher m = METRIC.matcher(Files.readString(f));
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertTrue(used.size() >= 15, "metrics used by deploy/: " + used);
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(exported);
        assertEquals(Set.of(), unknown, "metrics in deploy/ that no scrape has");

        // readiness: backend unreachable
        s3.stop();
        awaitTrue(() -> status(router) == 503, "/v1/ready did not fail with s3proxy stopped");
        HttpResponse<String> notReady = router.get("/v1/ready", true);
        assertEquals("application/problem+json", notReady.headers().firstValue("Content-Type").orElse(""));
        assertTrue(notReady.body().contains("urn:scoria:problem:not-ready"), notReady.body());
        assertTrue(failing(notReady.body()).contains("backend"), notReady.body());
        assertFalse(failing(notReady.body()).contains("flash"), notReady.body());
        assertFalse(router.get("/v1/ready", false).body().contains("\"detail\" : \"backend"),
                "what a check found is shown without a token");
        assertEquals(200, router.get("/v1/health", false).statusCode(), "liveness must not follow the backend");
        s3.start();
        awaitTrue(() -> status(router) == 200, "/v1/ready did not recover with s3proxy back");

        // readiness: fail-over cache down
        foc.kill9();
        router.qemuIo("vm2", "write -P 7 0 64k");
        awaitTrue(() -> status(router) == 503, "/v1/ready did not fail with the FOC down");
        HttpResponse<String> focDown = router.get("/v1/ready", true);
        assertTrue(failing(focDown.body()).contains("foc"), focDown.body());
        assertFalse(failing(focDown.body()).contains("backend"), focDown.body());
        awaitTrue(() -> {
            try {
                return new Exposition(router.metrics()).value("scoria_volume_foc_degraded", "volume=\"vm2\"") == 1.0;
            } catch (Exception e) {
                return false;
            }
        }, "vm2's FOC degraded gauge did not turn 1");
    }

    /** The names of the checks the readiness body lists with "ok" : false. */
    private static Set<String> failing(String body) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\"name\"\\s*:\\s*\"(\\w+)\"\\s*,\\s*\"ok\"\\s*:\\s*false").matcher(body);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static int status(Router router) {
        try {
            return router.get("/v1/ready", true).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String message) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(message);
    }

    private void runScrub(S3ProxyServer s3, String namespace, Path metricsFile) throws Exception {
        Path cfg = dir.resolve("scrub.yaml");
        Files.writeString(cfg, "backend: {type: s3, s3: " + s3Yaml(s3) + "}\n");
        Path jar = repo().resolve("scrubber/target/scoria-scrub.jar");
        assertTrue(Files.isRegularFile(jar), "scoria-scrub.jar is built by the scrubber module: " + jar);
        try (ManagedProcess p = ManagedProcess.start("scrub", List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Xmx256m", "-jar", jar.toString(), "--config", cfg.toString(), "--namespace", namespace,
                "--scratch", dir.resolve("scratch").toString(), "--metrics-file", metricsFile.toString()), dir,
                dir.resolve("scrub.log"))) {
            assertTrue(p.process().waitFor(120, TimeUnit.SECONDS), "scrub did not finish");
            assertEquals(0, p.process().exitValue(), p.logTail(30));
        }
    }

    /** A router on a distributor (2+1 over s3proxy and two directories, degraded writes allowed); its scrape after I/O. */
    private Exposition distributorScrape(S3ProxyServer s3) throws Exception {
        String backend = "backend: {type: distributor, distributor: {policy: 2+1, minFragments: 2, stores: ["
                + "{name: s3, domain: d1, type: s3, s3: " + s3Yaml(s3) + "}, "
                + "{name: fs1, domain: d2, type: fs, fs: {root: " + dir.resolve("fs1") + "}}, "
                + "{name: fs2, domain: d3, type: fs, fs: {root: " + dir.resolve("fs2") + "}}]}}\n";
        try (Router d = new Router(dir, "distributor-router", backend)) {
            d.createVolume("dvol", "64MiB");
            d.qemuIo("dvol", "write -P 3 0 2M", "flush");
            Exposition e = new Exposition(d.metrics());
            assertEquals(Set.of(), e.familiesWithoutHelp(), "families without HELP text (distributor)");
            assertTrue(e.text.contains("scoria_distributor_store_puts_total{store=\"fs1\"}"), e.text);
            return e;
        }
    }
}
