package io.scoria.replicator;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Serves a job's {@link ReplicationCounters} as Prometheus text at {@code GET /metrics} on a
 * loopback port: the job's totals as {@code scoria_replication_*} and each volume's
 * {@link VolumeReplicationCounters} as {@code scoria_replication_volume_*{volume="..."}} (scrape it from the same host, or put a proxy in front). One HTTP thread owned
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

    /** The counters in the Prometheus text exposition format, lags measured now. */
    static String text(ReplicationCounters c) {
        return text(c, System.currentTimeMillis());
    }

    /** The counters in the Prometheus text exposition format, lags measured at {@code nowMillis}. */
    static String text(ReplicationCounters c, long nowMillis) {
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
        List<VolumeReplicationCounters> volumes = c.volumes();
        perVolume(b, "lag_seconds", "gauge", "how long the replica has lacked the newest manifest the source held at the "
                + "volume's last pass (0: current)", volumes, v -> String.format(Locale.ROOT, "%.3f", v.lagMillis(nowMillis) / 1000.0));
        perVolume(b, "lag_objects", "gauge", "TLogs and SCOs the replica is known to lack (0: current)", volumes,
                v -> Long.toString(v.pendingObjects()));
        perVolume(b, "bytes_shipped_total", "counter", "bytes put on the target", volumes, v -> Long.toString(v.bytesShipped()));
        perVolume(b, "objects_shipped_total", "counter", "SCOs and TLogs put on the target", volumes,
                v -> Long.toString(v.objectsShipped()));
        perVolume(b, "objects_skipped_total", "counter", "objects found on the target already", volumes,
                v -> Long.toString(v.objectsSkipped()));
        perVolume(b, "manifests_published_total", "counter", "manifests published on the target", volumes,
                v -> Long.toString(v.manifestsPublished()));
        perVolume(b, "objects_deleted_total", "counter", "objects deleted on the target because the source dropped them "
                + "(scrubbed) and the replica no longer names them", volumes, v -> Long.toString(v.objectsDeleted()));
        perVolume(b, "errors_total", "counter", "passes that failed and were retried, or stopped the volume", volumes,
                v -> Long.toString(v.errors()));
        perVolume(b, "stopped", "gauge", "1 when an error stopped the volume's replication for the rest of the job", volumes,
                v -> v.isStopped() ? "1" : "0");
        perVolume(b, "last_current_timestamp_seconds", "gauge", "when a pass last left or found the replica current "
                + "(0: never)", volumes, v -> String.format(Locale.ROOT, "%.3f", v.lastCurrentMillis() / 1000.0));
        return b.toString();
    }

    /** One metric family {@code scoria_replication_volume_<name>} with a sample per volume, labelled {@code volume}. */
    private static void perVolume(StringBuilder b, String name, String type, String help, List<VolumeReplicationCounters> volumes,
                                  Function<VolumeReplicationCounters, String> value) {
        String family = "scoria_replication_volume_" + name;
        b.append("# HELP ").append(family).append(' ').append(help).append('\n')
                .append("# TYPE ").append(family).append(' ').append(type).append('\n');
        for (VolumeReplicationCounters v : volumes) {
            b.append(family).append("{volume=\"").append(labelValue(v.volume())).append("\"} ").append(value.apply(v)).append('\n');
        }
    }

    /** A label value escaped as the exposition format requires (backslash, double quote, line feed). */
    static String labelValue(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
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
