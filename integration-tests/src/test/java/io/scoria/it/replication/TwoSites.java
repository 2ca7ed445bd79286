package io.scoria.it.replication;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.scoria.backend.ObjectStore;
import io.scoria.backend.s3.S3ObjectStore;
import io.scoria.backend.s3.S3StoreConfig;
import io.scoria.it.harness.ManagedProcess;
import io.scoria.it.harness.S3ProxyServer;
import io.scoria.it.nbd.Command;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The processes of a DR test, started in a test's directory on ephemeral ports: s3proxy sites,
 * {@code scoria serve} routers on them, {@code scoria-replicate} runs from its jar, and the S3
 * clients, REST calls and qemu-io runs the tests check them with. {@link #close()} stops
 * everything it started, newest first. Used by one test thread.
 */
final class TwoSites implements AutoCloseable {
    /** A running {@code scoria serve}: its data directory (under the test's) and ports. */
    record Router(ManagedProcess process, Path dataDir, int nbdPort, int apiPort) implements AutoCloseable {
        @Override
        public void close() {
            process.close();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Path repo = Path.of(System.getProperty("scoria.repo.root", "..")).toAbsolutePath().normalize();

    TwoSites(Path dir) {
        this.dir = dir;
    }

    @Override
    public void close() throws Exception {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        started.clear();
    }

    static String backend(S3ProxyServer s3) {
        return "{type: s3, s3: {endpoint: " + s3.endpoint() + ", accessKey: " + S3ProxyServer.ACCESS_KEY
                + ", secretKey: " + S3ProxyServer.SECRET_KEY + ", conditionalPut: true}}";
    }

    S3ProxyServer site(String name) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.start(name);
        started.add(s3);
        return s3;
    }

    ObjectStore store(S3ProxyServer s3) {
        ObjectStore store = new S3ObjectStore(S3StoreConfig.of(s3.endpoint(), S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)
                .withConditionalPut(true));
        started.add(store);
        return store;
    }

    /** A replication config file from {@code a} to {@code b} with the given {@code replication:} section body. */
    Path replConfig(S3ProxyServer a, S3ProxyServer b, String replication) throws Exception {
        return replConfig(backend(a), backend(b), replication);
    }

    /** A replication config file between two backend sections (YAML flow maps) with the given {@code replication:} body. */
    Path replConfig(String sourceBackend, String targetBackend, String replication) throws Exception {
        Path f = dir.resolve("repl.yaml");
        Files.writeString(f, "source: " + sourceBackend + "\ntarget: " + targetBackend + "\nreplication: {" + replication + "}\n");
        return f;
    }

    /** Starts {@code scoria serve} with data directory {@code dataDir} (under the test's) on site {@code s3}. */
    Router serve(String dataDir, S3ProxyServer s3) throws Exception {
        return serve(dataDir, backend(s3));
    }

    /** Starts {@code scoria serve} with data directory {@code dataDir} (under the test's) on a backend section (a YAML flow map). */
    Router serve(String dataDir, String backend) throws Exception {
        int nbd = ManagedProcess.freePort();
        int api = ManagedProcess.freePort();
        int iscsi = ManagedProcess.freePort();
        Path cfg = dir.resolve(dataDir + ".yaml");
        Files.writeString(cfg, "dataDir: " + dir.resolve(dataDir) + "\nnbd: {port: " + nbd + "}\napi: {port: " + api
                + "}\niscsi: {port: " + iscsi + "}\nbackend: " + backend
                + "\ncache: {clusterCache: 16MiB, scoCache: 128MiB}\nvolumes: {scoSize: 1MiB}\n");
        ManagedProcess p = ManagedProcess.start("serve-" + dataDir, List.of(repo.resolve("scoria").toString(), "serve",
                "--config", cfg.toString()), dir, dir.resolve(dataDir + "-" + System.nanoTime() + ".log"));
        Router r = new Router(p, dir.resolve(dataDir), nbd, api);
        started.add(r);
        p.awaitReady(Duration.ofSeconds(120), () -> ManagedProcess.listening(api) && ManagedProcess.listening(nbd));
        return r;
    }

    /** A REST call to {@code r} with its admin token; {@code body} null for none. */
    HttpResponse<String> api(Router r, String method, String path, String body) throws Exception {
        String token = Files.readString(r.dataDir().resolve("admin.token")).strip();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.apiPort() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.method(method, HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The state column of volume {@code volume} in {@code r}'s volume list ({@code GET /v1/volumes}), or "absent". */
    String state(Router r, String volume) throws Exception {
        HttpResponse<String> list = api(r, "GET", "/v1/volumes", null);
        assertEquals(200, list.statusCode(), list.body());
        for (JsonNode v : JSON.readTree(list.body())) {
            if (v.get("name").asText().equals(volume)) {
                return v.get("state").asText();
            }
        }
        return "absent";
    }

    void createVolume(Router r, String name, String size) throws Exception {
        HttpResponse<String> created = api(r, "POST", "/v1/volumes", "{\"name\":\"" + name + "\",\"size\":\"" + size + "\"}");
        assertEquals(201, created.statusCode(), created.body());
    }

    /** qemu-io on NBD export {@code export} of {@code r}; {@code readOnly} opens it with -r, as a read-only export must be. */
    static Command qemuIo(Router r, boolean readOnly, String export, String... commands) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        if (readOnly) {
            cmd.add("-r");
        }
        cmd.add("nbd://127.0.0.1:" + r.nbdPort() + "/" + export);
        for (String c : commands) {
            cmd.addAll(List.of("-c", c));
        }
        return Command.run(120, cmd.toArray(new String[0]));
    }

    /** qemu-io that must succeed with every pattern verified; returns its output. */
    static String qemuIoOk(Router r, boolean readOnly, String export, String... commands) throws Exception {
        String out = qemuIo(r, readOnly, export, commands).ok().output();
        assertFalse(out.contains("Pattern verification failed") || out.contains("failed"), export + ": " + out);
        return out;
    }

    /**
     * fio over NBD on {@code [offset, offset + size)} of {@code export}: 4 KiB random writes, each
     * block once, with CRC32C verify headers (offset and seed included); or, with {@code verifyOnly},
     * the check of a region written by this same call, block by block. Same options both ways, so
     * the check replays the write's offsets and seeds.
     */
    static Command fio(Router r, String export, long offset, long size, boolean verifyOnly) throws Exception {
        return Command.run(300, "fio", "--name=region", "--ioengine=nbd", "--uri=nbd://127.0.0.1:" + r.nbdPort() + "/" + export,
                "--rw=randwrite", "--bs=4k", "--iodepth=16", "--offset=" + offset, "--size=" + size, "--verify=crc32c",
                "--verify_fatal=1", "--randrepeat=1", "--verify_state_save=0",
                verifyOnly ? "--verify_only" : "--do_verify=0");
    }

    /** {@link #fio} that must succeed without a verify error. */
    static void fioOk(Router r, String export, long offset, long size, boolean verifyOnly) throws Exception {
        Command c = fio(r, export, offset, size, verifyOnly);
        assertEquals(0, c.exitCode(), export + " at " + offset + ": " + c.output());
        assertFalse(c.output().contains("verify: bad") || c.output().contains("bad magic"), c.output());
        assertTrue(c.output().contains("err= 0"), c.output());
    }

    /** Polls {@code done} every 200 ms until it holds; fails naming {@code what} after {@code timeout}. */
    static void await(Duration timeout, String what, java.util.concurrent.Callable<Boolean> done) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.call()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(200);
        }
    }

    /** Starts {@code scoria-replicate ARGS} from its jar, logging to {@code <name>.log}. */
    ManagedProcess replicate(String name, String... args) throws Exception {
        Path jar = repo.resolve("replicator").resolve("target").resolve("scoria-replicate.jar");
        assertTrue(Files.isRegularFile(jar), "scoria-replicate.jar is built by the replicator module: " + jar);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        ManagedProcess p = ManagedProcess.start(name, cmd, dir, dir.resolve(name + ".log"));
        started.add(p);
        return p;
    }

    /** Waits for {@code p} to exit with {@code expectedCode}; returns its log. */
    static String finish(ManagedProcess p, int expectedCode) throws Exception {
        assertTrue(p.process().waitFor(180, TimeUnit.SECONDS), p.logTail(20));
        String log = Files.readString(p.log());
        assertEquals(expectedCode, p.process().exitValue(), log);
        return log;
    }
}
