package io.scoria.it.cli;

import io.scoria.accelerator.cli.ScoriaMain;
import io.scoria.it.harness.ManagedProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The template and clone flow through the {@code scoria} CLI against {@code scoria serve}
 * (launcher, real engine, fs backend): create, fill over NBD, make a template,
 * {@code clone create --count 10}, and every clone is independently writable.
 */
class TemplateCloneCliIT {
    @TempDir
    Path dir;
    ManagedProcess serve;
    int apiPort;
    int nbdPort;

    @AfterEach
    void stop() {
        if (serve != null) {
            serve.close();
        }
    }

    record Result(int code, String out, String err) {
    }

    Result scoria(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.add("--api");
        full.add("http://127.0.0.1:" + apiPort);
        full.add("--token-file");
        full.add(dir.resolve("data").resolve("admin.token").toString());
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    String ok(String... args) {
        Result r = scoria(args);
        assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
        return r.out();
    }

    String qemuIo(String export, String... commands) throws Exception {
        return qemuIo(false, export, commands);
    }

    String qemuIo(boolean readOnly, String export, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        if (readOnly) {
            cmd.add("-r");
        }
        cmd.add("nbd://127.0.0.1:" + nbdPort + "/" + export);
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertFalse(out.contains("Pattern verification failed"), export + ": " + out);
        return out;
    }

    @Test
    void templateAndTenIndependentClones() throws Exception {
        apiPort = ManagedProcess.freePort();
        nbdPort = ManagedProcess.freePort();
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        Path cfg = dir.resolve("scoria.yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve("data") + "\nnbd: {port: " + nbdPort + "}\niscsi: {port: 0}\napi: {port: "
                + apiPort + "}\ncache: {clusterCache: 64MiB, scoCache: 512MiB}\n");
        serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        serve.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(apiPort)
                && ManagedProcess.listening(nbdPort));

        assertTrue(ok("volume", "create", "golden", "--size", "64MiB").contains("created volume golden (64MiB"));
        qemuIo("golden", "write -P 0x5a 0 8M", "write -P 0x33 32M 1M");
        assertTrue(ok("template", "create", "golden").contains("template"));
        Result refused = scoria("volume", "create", "golden", "--size", "1GiB");
        assertEquals(1, refused.code());
        String made = ok("clone", "create", "golden", "--count", "10", "--prefix", "desk-", "--wait");
        assertEquals(10, made.lines().filter(l -> l.startsWith("created clone desk-")).count(), made);
        String list = ok("volume", "list");
        for (int i = 1; i <= 10; i++) {
            assertTrue(list.contains("desk-" + i), list);
        }
        // each clone starts as the template and takes its own writes
        for (int i = 1; i <= 10; i++) {
            qemuIo("desk-" + i, "read -P 0x5a 0 8M", "read -P 0x33 32M 1M", "read -P 0 16M 1M",
                    "write -P " + (0x80 + i) + " 4M 64k");
        }
        for (int i = 1; i <= 10; i++) {
            qemuIo("desk-" + i, "read -P " + (0x80 + i) + " 4M 64k", "read -P 0x5a 0 4M");
        }
        qemuIo(true, "golden", "read -P 0x5a 0 8M", "read -P 0 16M 64k");
        // the template itself is read-only over NBD: a read-write open is refused
        Process w = new ProcessBuilder("qemu-io", "-f", "raw", "nbd://127.0.0.1:" + nbdPort + "/golden", "-c",
                "write -P 1 0 4k").redirectErrorStream(true).start();
        String wout = new String(w.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        w.waitFor(60, TimeUnit.SECONDS);
        assertTrue(w.exitValue() != 0 || wout.contains("read-only") || wout.contains("not permitted"), wout);
        // reset one clone to the template
        ok("clone", "reset", "desk-4");
        qemuIo("desk-4", "read -P 0x5a 0 8M");
        qemuIo("desk-5", "read -P " + (0x80 + 5) + " 4M 64k");

        // Prometheus metrics of the frontend and the engine on the management port
        var http = java.net.http.HttpClient.newHttpClient();
        String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + apiPort + "/metrics")).header("Authorization", "Bearer "
                        + Files.readString(dir.resolve("data").resolve("admin.token")).strip()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        var writes = java.util.regex.Pattern.compile(
                "scoria_nbd_requests_seconds_count\\{op=\"write\"\\} (\\S+)").matcher(metrics);
        assertTrue(writes.find(), metrics);
        // 2 writes to golden (8M and 1M, each one NBD request under the 32 MiB maximum) + 1 per clone
        assertEquals(12.0, Double.parseDouble(writes.group(1)), "NBD WRITE requests counted");
        for (String name : List.of("scoria_nbd_requests_seconds_bucket", "scoria_cluster_cache_hit_ratio",
                "scoria_cluster_cache_hits_total", "scoria_sco_backlog_bytes", "scoria_backend_errors_total",
                "scoria_backend_written_bytes_total")) {
            assertTrue(metrics.contains(name), name + " missing from /metrics");
        }
    }
}
