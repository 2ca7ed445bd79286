package io.scoria.it.harness;

import io.scoria.accelerator.cli.ScoriaMain;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code scoria serve} process of a test on a given backend section, with NBD and the REST
 * API on free loopback ports, iSCSI off, small caches and 1 MiB SCOs (so that a few MiB written
 * make several SCOs), and the calls tests make on it: the CLI against its API, the NBD URI of a
 * volume, waiting until its uploads are done. {@link #close} stops it (SIGTERM, then SIGKILL).
 */
public final class RouterProcess implements AutoCloseable {
    /** What a CLI call printed and returned. */
    public record Result(int code, String out, String err) {
    }

    private final ManagedProcess serve;
    private final Path dataDir;
    private final int apiPort;
    private final int nbdPort;

    private RouterProcess(ManagedProcess serve, Path dataDir, int apiPort, int nbdPort) {
        this.serve = serve;
        this.dataDir = dataDir;
        this.apiPort = apiPort;
        this.nbdPort = nbdPort;
    }

    /**
     * Starts a router with data dir {@code dir/name} and config {@code dir/name.yaml} whose
     * {@code backend:} is {@code backendYaml} (a YAML flow mapping), and waits until it serves.
     */
    public static RouterProcess start(Path dir, String name, String backendYaml) throws IOException {
        return start(dir, name, backendYaml, Map.of());
    }

    /**
     * As above, with {@code env} added to the process's environment (e.g. {@code SCORIA_JAVA_OPTS}). Started
     * again with the same {@code dir} and {@code name}, it restarts the router on the same data directory.
     */
    public static RouterProcess start(Path dir, String name, String backendYaml, Map<String, String> env)
            throws IOException {
        return start(dir, name, backendYaml, "", env);
    }

    /**
     * A router named {@code name} on the fs backend {@code dir/backend} that pauses {@code pauseMillis} at each step of
     * a journalled lifecycle operation ({@code scoria.lifecycle.stepPauseMillis}; 0: none), for kill -9 tests.
     */
    public static RouterProcess startWithLifecyclePause(Path dir, String name, long pauseMillis) throws IOException {
        return start(dir, name, "{type: fs, fs: {root: " + dir.resolve("backend") + "}}",
                Map.of("SCORIA_JAVA_OPTS", "-Dscoria.lifecycle.stepPauseMillis=" + pauseMillis));
    }

    /** As {@link #start(Path, String, String, Map)}, with {@code extraYaml} (further top-level sections, e.g. {@code scrub: {...}}) in the config. */
    public static RouterProcess start(Path dir, String name, String backendYaml, String extraYaml, Map<String, String> env)
            throws IOException {
        int apiPort = ManagedProcess.freePort();
        int nbdPort = ManagedProcess.freePort();
        Path dataDir = dir.resolve(name);
        Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();
        Path cfg = dir.resolve(name + ".yaml");
        Files.writeString(cfg, "dataDir: " + dataDir + "\nnbd: {port: " + nbdPort + "}\niscsi: {enabled: false}\n"
                + "api: {port: " + apiPort + "}\ncache: {clusterCache: 16MiB, scoCache: 64MiB}\nvolumes: {scoSize: 1MiB}\n"
                + "backend: " + backendYaml + "\n" + extraYaml);
        ManagedProcess serve = ManagedProcess.start("scoria-serve", List.of(repo.resolve("scoria").toString(), "serve",
                "--config", cfg.toString()), dir, dir.resolve(name + "-serve.log"), env);
        serve.awaitReady(Duration.ofSeconds(120), () -> Files.exists(dataDir.resolve("admin.token"))
                && ManagedProcess.listening(apiPort) && ManagedProcess.listening(nbdPort));
        return new RouterProcess(serve, dataDir, apiPort, nbdPort);
    }

    public ManagedProcess process() {
        return serve;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** {@code http://127.0.0.1:PORT}: the REST API. */
    public String api() {
        return "http://127.0.0.1:" + apiPort;
    }

    /** {@code nbd://127.0.0.1:PORT/VOLUME}. */
    public String nbd(String volume) {
        return "nbd://127.0.0.1:" + nbdPort + "/" + volume;
    }

    /** Runs {@code scoria ARGS} against this router's API with its admin token. */
    public Result scoria(String... args) {
        return scoriaAs(dataDir.resolve("admin.token"), args);
    }

    /** Runs {@code scoria ARGS} against this router's API with the token in {@code tokenFile}. */
    public Result scoriaAs(Path tokenFile, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> full = new ArrayList<>(List.of(args));
        full.addAll(List.of("--api", "http://127.0.0.1:" + apiPort, "--token-file", tokenFile.toString()));
        int code = ScoriaMain.execute(full.toArray(new String[0]), new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    /** As {@link #scoria}, failing with what it printed unless it exits 0; returns its output. */
    public String ok(String... args) {
        Result r = scoria(args);
        if (r.code() != 0) {
            throw new AssertionError(String.join(" ", args) + " exited " + r.code() + ": " + r.err() + r.out());
        }
        return r.out();
    }

    /**
     * Waits until no sealed SCO waits for its upload ({@code scoria_sco_backlog_bytes} 0, at most
     * {@code timeout}), then two seconds for the TLog that follows them.
     */
    public void awaitUploads(Duration timeout) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        String token = Files.readString(dataDir.resolve("admin.token")).strip();
        Pattern backlog = Pattern.compile("(?m)^scoria_sco_backlog_bytes(?:\\{[^}]*\\})? (\\S+)$");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/metrics"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = backlog.matcher(metrics);
            if (!m.find()) {
                throw new AssertionError("no SCO backlog gauge in the metrics");
            }
            if (Double.parseDouble(m.group(1)) == 0) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("SCOs still waiting for upload after " + timeout + ": " + m.group());
            }
            Thread.sleep(200);
        }
        Thread.sleep(2000);
    }

    /** Stops the process (SIGTERM, then SIGKILL); idempotent. */
    @Override
    public void close() {
        serve.close();
    }
}
