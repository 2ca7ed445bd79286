package io.scoria.it.observe;

import io.scoria.it.harness.ManagedProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code scoria serve} process (through the {@code ./scoria} launcher) on free loopback ports,
 * with the REST calls and NBD I/O (qemu-io) the observability tests need. Closing kills it.
 */
final class Router implements AutoCloseable {
    final Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
    final int nbdPort = ManagedProcess.freePort();
    final int apiPort = ManagedProcess.freePort();
    final Path dataDir;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ManagedProcess process;

    /** Starts a router in {@code dir} whose config has {@code sections} (YAML) after its ports and data directory. */
    Router(Path dir, String name, String sections) throws IOException {
        this(dir, name, "{scoSize: 1MiB}", sections);
    }

    /** As above, with {@code volumes} (a YAML flow mapping) as the {@code volumes:} section. */
    Router(Path dir, String name, String volumes, String sections) throws IOException {
        dataDir = dir.resolve(name + "-data");
        Path cfg = dir.resolve(name + ".yaml");
        Files.writeString(cfg, "dataDir: " + dataDir + "\n" + "nbd: {port: " + nbdPort + "}\n" + "iscsi: {enabled: false}\n"
                + "api: {port: " + apiPort + "}\n" + "cache: {clusterCache: 16MiB, scoCache: 64MiB}\n"
                + "volumes: " + volumes + "\n" + sections);
        process = ManagedProcess.start(name, List.of(repo.resolve("scoria").toString(), "serve", "--config", cfg.toString()),
                dir, dir.resolve(name + ".log"));
        process.awaitReady(Duration.ofSeconds(120), () -> Files.exists(dataDir.resolve("admin.token"))
                && ManagedProcess.listening(apiPort) && ManagedProcess.listening(nbdPort));
    }

    String logTail() {
        return process.logTail(40);
    }

    HttpResponse<String> get(String path, boolean withToken) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                .timeout(Duration.ofSeconds(30));
        if (withToken) {
            b.header("Authorization", "Bearer " + Files.readString(dataDir.resolve("admin.token")).strip());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    String metrics() throws Exception {
        HttpResponse<String> r = get("/metrics", true);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("/metrics: HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }

    void createVolume(String name, String size) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/volumes"))
                .header("Authorization", "Bearer " + Files.readString(dataDir.resolve("admin.token")).strip())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\",\"size\":\"" + size + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("create volume " + name + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    /** Runs qemu-io over NBD on {@code volume} with {@code commands}; fails unless it exits 0. */
    String qemuIo(String volume, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw", "nbd://127.0.0.1:" + nbdPort + "/" + volume));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || out.contains("failed")) {
            throw new IllegalStateException("qemu-io " + cmd + " failed: " + out);
        }
        return out;
    }

    @Override
    public void close() {
        process.kill9();
    }
}
