package io.scoria.it.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A single-node OpenStack Swift (Debian packages {@code swift swift-proxy swift-object
 * swift-account swift-container memcached}) on free loopback ports, for integration tests:
 * memcached, the account, container and object servers (one ring device each, a plain
 * directory, {@code mount_check = false}) and the proxy with {@code s3api} and
 * {@code tempauth} in its pipeline. Everything lives in one temporary directory: the
 * configuration, the rings, the data and one log file per process, whose tails are printed
 * when start-up fails.
 *
 * <p>Credentials: TempAuth user {@link #USER} with key {@link #KEY} at {@link #authUrl()};
 * through {@code s3api} the access key is {@link #S3_ACCESS_KEY} and the secret
 * {@link #S3_SECRET_KEY} at {@link #proxyUrl()}.
 *
 * <p>{@link #close()} kills every process it started (with their forked workers) and deletes
 * the directory; idempotent. A JVM shutdown hook does the same if a test run is aborted.
 * Thread-safe.
 */
public final class SwiftAllInOne implements AutoCloseable {
    public static final String USER = "test:tester";
    public static final String KEY = "testing";
    public static final String S3_ACCESS_KEY = "test:tester";
    public static final String S3_SECRET_KEY = "testing";

    private static final String PYTHON = "/usr/bin/python3";
    private static final Path SWIFT_CONF = Path.of("/etc/swift/swift.conf");
    private static final String[] KINDS = {"account", "container", "object"};
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final int proxyPort;
    private final List<ManagedProcess> processes = new ArrayList<>();
    private final Thread shutdownHook;
    private boolean closed;

    private SwiftAllInOne(Path dir, int proxyPort) {
        this.dir = dir;
        this.proxyPort = proxyPort;
        this.shutdownHook = new Thread(this::stopAll, "swift-aio-shutdown");
    }

    /**
     * Writes the configuration, builds the rings, starts all processes and waits until the
     * proxy answers {@code /healthcheck} and TempAuth hands out a token.
     *
     * @throws IllegalStateException naming the failing process, with its log tail, if start-up fails
     */
    public static SwiftAllInOne start() throws IOException {
        for (String binary : new String[] {"/usr/bin/swift-proxy-server", "/usr/bin/swift-object-server",
                "/usr/bin/swift-container-server", "/usr/bin/swift-account-server", "/usr/bin/memcached", PYTHON}) {
            if (!Files.isExecutable(Path.of(binary))) {
                throw new IllegalStateException(binary + " is missing: install the Debian packages swift swift-proxy "
                        + "swift-object swift-account swift-container memcached (./run-tests does so as root)");
            }
        }
        if (!Files.isReadable(SWIFT_CONF)) {
            throw new IllegalStateException(SWIFT_CONF + " is missing; it ships with the Debian package 'swift'");
        }
        Path dir = Files.createTempDirectory("swift-aio-");
        SwiftAllInOne swift = new SwiftAllInOne(dir, ManagedProcess.freePort());
        Runtime.getRuntime().addShutdownHook(swift.shutdownHook);
        try {
            swift.launch();
            return swift;
        } catch (RuntimeException | IOException e) {
            String tails = swift.logTails(30);
            swift.close();
            throw new IllegalStateException("Swift all-in-one in " + dir + " failed to start: " + e.getMessage()
                    + "\nlog tails of every process:\n" + tails, e);
        }
    }

    private void launch() throws IOException {
        int memcachedPort = ManagedProcess.freePort();
        int[] ports = {ManagedProcess.freePort(), ManagedProcess.freePort(), ManagedProcess.freePort()};
        Path devices = Files.createDirectories(dir.resolve("devices"));
        Files.createDirectories(devices.resolve("d1"));
        Path recon = Files.createDirectories(dir.resolve("recon"));
        Path logs = Files.createDirectories(dir.resolve("logs"));
        String user = System.getProperty("user.name");

        buildRings(ports, logs);

        List<String> memcached = new ArrayList<>(List.of("/usr/bin/memcached", "-l", "127.0.0.1",
                "-p", Integer.toString(memcachedPort), "-U", "0", "-m", "64"));
        if ("root".equals(user)) {
            memcached.addAll(List.of("-u", "root"));
        }
        ManagedProcess cache = startProcess("memcached", memcached, logs);

        List<ManagedProcess> servers = new ArrayList<>();
        for (int i = 0; i < KINDS.length; i++) {
            Path conf = dir.resolve(KINDS[i] + "-server.conf");
            Files.writeString(conf, storageServerConf(KINDS[i], ports[i], user, devices, recon));
            servers.add(startProcess(KINDS[i] + "-server",
                    List.of("/usr/bin/swift-" + KINDS[i] + "-server", conf.toString(), "-v"), logs));
        }
        Path proxyConf = dir.resolve("proxy-server.conf");
        Files.writeString(proxyConf, proxyConf(user, memcachedPort));
        ManagedProcess proxy = startProcess("proxy-server",
                List.of("/usr/bin/swift-proxy-server", proxyConf.toString(), "-v"), logs);

        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        cache.awaitReady(remaining(deadline), () -> ManagedProcess.listening(memcachedPort));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (int i = 0; i < KINDS.length; i++) {
            URI health = URI.create("http://127.0.0.1:" + ports[i] + "/healthcheck");
            servers.get(i).awaitReady(remaining(deadline), () -> answers(http, health, false));
        }
        proxy.awaitReady(remaining(deadline), () -> answers(http, proxyUrl().resolve("/healthcheck"), false));
        proxy.awaitReady(remaining(deadline), () -> answers(http, authUrl(), true));
    }

    private void buildRings(int[] ports, Path logs) throws IOException {
        Path script = dir.resolve("make_rings.py");
        try (InputStream in = SwiftAllInOne.class.getResourceAsStream("/swift/make_rings.py")) {
            if (in == null) {
                throw new IllegalStateException("test resource /swift/make_rings.py is missing from the classpath");
            }
            Files.copy(in, script);
        }
        Path log = logs.resolve("rings.log");
        Process p = new ProcessBuilder(PYTHON, script.toString(), dir.toString(), Integer.toString(ports[0]),
                Integer.toString(ports[1]), Integer.toString(ports[2]))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("building the Swift rings took over 60 s:\n" + Files.readString(log));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the Swift rings", e);
        }
        for (String kind : KINDS) {
            if (p.exitValue() != 0 || !Files.isRegularFile(dir.resolve(kind + ".ring.gz"))) {
                throw new IllegalStateException("building the Swift rings failed (exit " + p.exitValue() + "):\n"
                        + Files.readString(log));
            }
        }
    }

    private ManagedProcess startProcess(String name, List<String> command, Path logs) throws IOException {
        ManagedProcess process = ManagedProcess.start("swift " + name, command, dir, logs.resolve(name + ".log"));
        synchronized (this) {
            processes.add(process);
        }
        return process;
    }

    private String storageServerConf(String kind, int port, String user, Path devices, Path recon) {
        return String.join("\n",
                "[DEFAULT]",
                "bind_ip = 127.0.0.1",
                "bind_port = " + port,
                "workers = 1",
                "user = " + user,
                "swift_dir = " + dir,
                "devices = " + devices,
                "mount_check = false",
                "disable_fallocate = true",
                "log_name = " + kind + "-server",
                "",
                "[pipeline:main]",
                "pipeline = healthcheck recon " + kind + "-server",
                "",
                "[app:" + kind + "-server]",
                "use = egg:swift#" + kind,
                "",
                "[filter:healthcheck]",
                "use = egg:swift#healthcheck",
                "",
                "[filter:recon]",
                "use = egg:swift#recon",
                "recon_cache_path = " + recon,
                "");
    }

    private String proxyConf(String user, int memcachedPort) {
        List<String> lines = new ArrayList<>(List.of(
                "[DEFAULT]",
                "bind_ip = 127.0.0.1",
                "bind_port = " + proxyPort,
                "workers = 1",
                "user = " + user,
                "swift_dir = " + dir,
                "log_name = proxy-server",
                "",
                "[pipeline:main]",
                "pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl "
                        + "s3api tempauth copy slo dlo versioned_writes proxy-logging proxy-server",
                "",
                "[app:proxy-server]",
                "use = egg:swift#proxy",
                "account_autocreate = true",
                "",
                "[filter:tempauth]",
                "use = egg:swift#tempauth",
                "user_test_tester = " + KEY + " .admin",
                "",
                "[filter:s3api]",
                "use = egg:swift#s3api",
                "",
                "[filter:cache]",
                "use = egg:swift#memcache",
                "memcache_servers = 127.0.0.1:" + memcachedPort,
                ""));
        for (String[] filter : new String[][] {{"catch_errors", "catch_errors"}, {"gatekeeper", "gatekeeper"},
                {"healthcheck", "healthcheck"}, {"proxy-logging", "proxy_logging"},
                {"listing_formats", "listing_formats"}, {"bulk", "bulk"}, {"tempurl", "tempurl"}, {"copy", "copy"},
                {"slo", "slo"}, {"dlo", "dlo"}, {"versioned_writes", "versioned_writes"}}) {
            lines.addAll(List.of("[filter:" + filter[0] + "]", "use = egg:swift#" + filter[1], ""));
        }
        return String.join("\n", lines);
    }

    private static boolean answers(HttpClient http, URI uri, boolean tempAuth) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET();
            if (tempAuth) {
                request.header("X-Auth-User", USER).header("X-Auth-Key", KEY);
            }
            HttpResponse<Void> r = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200 && (!tempAuth || r.headers().firstValue("X-Auth-Token").isPresent());
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Swift", e);
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
    }

    /** The proxy, e.g. {@code http://127.0.0.1:40123}; also the S3 endpoint of {@code s3api}. */
    public URI proxyUrl() {
        return URI.create("http://127.0.0.1:" + proxyPort);
    }

    /** The TempAuth v1 URL, {@code proxyUrl()/auth/v1.0}. */
    public URI authUrl() {
        return proxyUrl().resolve("/auth/v1.0");
    }

    /** The directory holding configuration, rings, data and logs. */
    public Path directory() {
        return dir;
    }

    /** The last lines of every process's log, for failure messages. */
    public synchronized String logTails(int lines) {
        StringBuilder out = new StringBuilder();
        for (ManagedProcess p : processes) {
            out.append("--- ").append(p.log().getFileName()).append(p.isAlive() ? "" : " (exited)").append('\n')
                    .append(p.logTail(lines)).append('\n');
        }
        return out.toString();
    }

    /** Kills all processes, then deletes the directory; idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down; the hook runs stopAll itself
        }
        stopAll();
        deleteTree(dir);
    }

    private void stopAll() {
        List<ManagedProcess> toStop;
        synchronized (this) {
            toStop = new ArrayList<>(processes);
        }
        // The proxy first, memcached last: the reverse of the start order.
        for (int i = toStop.size() - 1; i >= 0; i--) {
            toStop.get(i).close();
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    @Override
    public String toString() {
        return "SwiftAllInOne[" + proxyUrl() + ", " + dir + "]";
    }
}
