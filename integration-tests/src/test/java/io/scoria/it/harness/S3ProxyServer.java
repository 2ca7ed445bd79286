package io.scoria.it.harness;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * s3proxy ({@code org.gaul:s3proxy} jar-with-dependencies, fetched by Maven into
 * {@code target/servers}) on a free port (of loopback, or of the address given to
 * {@link #start(String, boolean, String)}) with the jclouds filesystem provider, as a separate JVM. {@link #stop()} and {@link #start()} model a backend outage; {@link #close()}
 * stops it and deletes its data.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "scoria-test";
    public static final String SECRET_KEY = "scoria-test-secret";

    private static final Pattern REQUEST = Pattern.compile("S3ProxyHandler:\\d+ .*request: .*\\{([A-Z]+)@\\w+ (\\S+) HTTP/");

    private final Path dir;
    private final String host;
    private final int port;
    private final boolean logRequests;
    private ManagedProcess process;

    private S3ProxyServer(Path dir, String host, int port, boolean logRequests) {
        this.dir = dir;
        this.host = host;
        this.port = port;
        this.logRequests = logRequests;
    }

    /** Starts a new server with an empty data directory. */
    public static S3ProxyServer start(String name) throws IOException {
        return start(name, false);
    }

    /** As {@link #start(String)}; with {@code logRequests}, s3proxy logs every request it serves ({@link #requests()}). */
    public static S3ProxyServer start(String name, boolean logRequests) throws IOException {
        return start(name, logRequests, "127.0.0.1");
    }

    /** As {@link #start(String, boolean)}, listening on {@code host} (an address of this machine) instead of loopback. */
    public static S3ProxyServer start(String name, boolean logRequests, String host) throws IOException {
        Path dir = Files.createTempDirectory("s3proxy-" + name);
        S3ProxyServer server = new S3ProxyServer(dir, host, ManagedProcess.freePort(), logRequests);
        server.start();
        return server;
    }

    /** One request s3proxy logged: the HTTP method and the URL's path (without the query). */
    public record Request(String method, String path, String query) {
        /** True when the path names a bucket only (a listing, bucket creation or deletion). */
        public boolean bucketOnly() {
            String p = path.startsWith("/") ? path.substring(1) : path;
            return !p.isEmpty() && (p.indexOf('/') < 0 || p.indexOf('/') == p.length() - 1);
        }
    }

    /** Every request logged so far, in order (only for a server started with {@code logRequests}). */
    public List<Request> requests() throws IOException {
        if (!logRequests) {
            throw new IllegalStateException("s3proxy was started without request logging");
        }
        List<Request> all = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("s3proxy.log"))) {
            Matcher m = REQUEST.matcher(line);
            if (m.find()) {
                URI u = URI.create(m.group(2));
                all.add(new Request(m.group(1), u.getRawPath(), u.getRawQuery()));
            }
        }
        return all;
    }

    /** (Re)starts the process on the same port and data directory. */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        Path data = Files.createDirectories(dir.resolve("data"));
        Path props = dir.resolve("s3proxy.properties");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://" + host + ":" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data,
                ""));
        String jar = System.getProperty("scoria.s3proxy.jar");
        if (jar == null || !Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("s3proxy jar not found at system property scoria.s3proxy.jar=" + jar
                    + " (run through Maven: mvn verify fetches it)");
        }
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = ManagedProcess.start("s3proxy:" + port,
                List.of(java.toString(), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                        "-DLOG_LEVEL=" + (logRequests ? "debug" : "info"), "-jar", jar, "--properties", props.toString()),
                dir, dir.resolve("s3proxy.log"));
        process.awaitReady(Duration.ofSeconds(60), () -> ManagedProcess.listening(host, port));
    }

    /** Stops the process; its data stays for a later {@link #start()}. */
    public synchronized void stop() {
        if (process != null) {
            process.close();
        }
    }

    /**
     * A store that comes back empty (a replaced disk, a new bucket): stops the process, deletes
     * every bucket and object it held, and starts it again on the same port.
     */
    public synchronized void wipe() throws IOException {
        stop();
        Path data = dir.resolve("data");
        if (Files.exists(data)) {
            try (Stream<Path> walk = Files.walk(data)) {
                walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
        start();
    }

    /** Kills the process with SIGKILL. */
    public synchronized void kill9() {
        if (process != null) {
            process.kill9();
        }
    }

    public URI endpoint() {
        return URI.create("http://" + host + ":" + port);
    }

    public int port() {
        return port;
    }

    @Override
    public synchronized void close() throws IOException {
        stop();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }
}
