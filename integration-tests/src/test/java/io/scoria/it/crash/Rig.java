package io.scoria.it.crash;

import io.scoria.it.harness.ManagedProcess;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The processes of a crash test: {@code scoria foc-server} and {@code scoria serve} (each its own
 * JVM through the {@code ./scoria} launcher), on fixed loopback ports so that a restarted router
 * or FOC is found where the old one was. The FOC server and the router share a FOC secret, so every
 * FOC frame of these tests is HMAC-authenticated as in production. Closing kills whatever still runs.
 */
final class Rig implements AutoCloseable {
    final Path dir;
    final Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
    final int focPort = ManagedProcess.freePort();
    final int nbdPort = ManagedProcess.freePort();
    final int iscsiPort = ManagedProcess.freePort();
    final int apiPort = ManagedProcess.freePort();
    private final HttpClient http = HttpClient.newHttpClient();
    ManagedProcess foc;
    ManagedProcess router;
    /** The {@code cache:} section of the routers started from now on (a YAML flow mapping). */
    String cache = "{clusterCache: 16MiB, scoCache: 64MiB}";
    private int starts;
    private Path dataDir;

    Rig(Path dir) {
        this.dir = dir;
    }

    /** The cluster's FOC secret (32 random bytes, base64), made once per rig. */
    Path focSecret() throws IOException {
        Path f = dir.resolve("foc.secret");
        if (!Files.exists(f)) {
            byte[] key = new byte[32];
            new java.security.SecureRandom().nextBytes(key);
            Files.writeString(f, java.util.Base64.getEncoder().encodeToString(key) + "\n");
        }
        return f;
    }

    void startFoc() throws IOException {
        foc = ManagedProcess.start("foc-server", List.of(repo.resolve("scoria").toString(), "foc-server", "--listen",
                "127.0.0.1:" + focPort, "--dir", dir.resolve("foc-server").toString(), "--secret-file",
                focSecret().toString()), dir, dir.resolve("foc-server.log"));
        foc.awaitReady(Duration.ofSeconds(60), () -> ManagedProcess.listening(focPort));
    }

    /** Starts the router on {@code dataDir} with {@code backendYaml} and the FOC in {@code mode}. */
    void startRouter(String dataDir, String backendYaml, String focMode) throws IOException {
        Path cfg = dir.resolve("scoria-" + (++starts) + ".yaml");
        this.dataDir = dir.resolve(dataDir);
        Files.writeString(cfg, "dataDir: " + this.dataDir + "\n"
                + "nbd: {port: " + nbdPort + "}\n" + "iscsi: {port: " + iscsiPort + "}\n"
                + "api: {port: " + apiPort + "}\n"
                + "backend: " + backendYaml + "\n"
                + "cache: " + cache + "\n"
                + "volumes: {scoSize: 1MiB}\n"
                + "foc: {address: 127.0.0.1:" + focPort + ", mode: " + focMode + ", connectTimeout: 500ms, requestTimeout: 2s, "
                + "secretFile: " + focSecret() + "}\n");
        router = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve", "--config",
                cfg.toString()), dir, dir.resolve("serve.log"));
        // the router writes admin.token before it binds the API: with it, the API that listens is this router's
        router.awaitReady(Duration.ofSeconds(120), () -> Files.exists(this.dataDir.resolve("admin.token"))
                && ManagedProcess.listening(apiPort) && ManagedProcess.listening(nbdPort)
                && ManagedProcess.listening(iscsiPort));
    }

    /** The router's admin token file ({@code <dataDir>/admin.token}). */
    Path adminToken() {
        return dataDir.resolve("admin.token");
    }

    String fsBackend() {
        return "{type: fs, fs: {root: " + dir.resolve("backend") + "}}";
    }

    /** A request to the running router's REST API with its admin token ({@code <dataDir>/admin.token}). */
    HttpRequest.Builder api(String path) throws IOException {
        String token = Files.readString(dataDir.resolve("admin.token")).strip();
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + path))
                .header("Authorization", "Bearer " + token);
    }

    void createVolume(String name, String size) throws Exception {
        createVolume(name, size, null);
    }

    /** Creates a volume with {@code encryption} ({@code none}, {@code aes-256-gcm}), or the backend's default when null. */
    void createVolume(String name, String size, String encryption) throws Exception {
        String body = "{\"name\":\"" + name + "\",\"size\":\"" + size + "\""
                + (encryption == null ? "" : ",\"encryption\":\"" + encryption + "\"") + "}";
        HttpResponse<String> r = http.send(api("/v1/volumes")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("create volume " + name + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    /** The volume's state as the REST API shows it (OK, DEGRADED, ...). */
    String volumeState(String name) throws Exception {
        String body = http.send(api("/v1/volumes/" + name).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("\"state\"\\s*:\\s*\"(\\w+)\"").matcher(body);
        if (!m.find()) {
            throw new IllegalStateException("no state in " + body);
        }
        return m.group(1);
    }

    String metrics() throws Exception {
        return http.send(api("/metrics").build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    @Override
    public void close() {
        if (router != null) {
            router.kill9();
        }
        if (foc != null) {
            foc.kill9();
        }
    }
}
