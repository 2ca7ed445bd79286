package io.scoria.replicator;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * Serves a job's {@link ReplicationCounters} as Prometheus text at {@code GET /metrics} on a
 * loopback port (scrape it from the same host, or put a proxy in front). One HTTP thread owned
 * by the JDK's server; reads the counters only. Idempotent {@link #close()}.
 */
final class MetricsEndpoint implements AutoCloseable {
    private final HttpServer server;
    private volatile boolean closed;

    MetricsEndpoint(int port, ReplicationCounters counters) {
        Objects.requireNonNull(counters, "counters");
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port + " for metrics", e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] body = text(counters).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** The counters in the Prometheus text exposition format. */
    static String text(ReplicationCounters c) {
        StringBuilder b = new StringBuilder();
        metric(b, "scoria_replication_objects_shipped_total", "counter", "SCOs and TLogs put on the target", c.objectsShipped());
        metric(b, "scoria_replication_bytes_shipped_total", "counter", "bytes put on the target", c.bytesShipped());
        metric(b, "scoria_replication_objects_skipped_total", "counter", "objects found on the target already", c.objectsSkipped());
        metric(b, "scoria_replication_manifests_published_total", "counter", "manifests published on the target",
                c.manifestsPublished());
        metric(b, "scoria_replication_volumes_failed_total", "counter", "volumes stopped by an error", c.volumesFailed());
        b.append("# HELP scoria_replication_lag_seconds age of the source manifest last published on the target\n")
                .append("# TYPE scoria_replication_lag_seconds gauge\n")
                .append(String.format(Locale.ROOT, "scoria_replication_lag_seconds %.3f%n", c.lagMillis() / 1000.0));
        return b.toString();
    }

    private static void metric(StringBuilder b, String name, String type, String help, long value) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n')
                .append(name).append(' ').append(value).append('\n');
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            server.stop(0);
        }
    }
}
