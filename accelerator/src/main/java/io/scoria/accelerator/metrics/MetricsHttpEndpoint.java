package io.scoria.accelerator.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Serves a registry as Prometheus text at {@code GET /metrics} for programs without the REST API
 * ({@code scoria foc-server}). Unauthenticated, so it listens where it is told (loopback by
 * default) and serves nothing but meters. One HTTP thread owned by the JDK's server; idempotent
 * {@link #close()}.
 */
public final class MetricsHttpEndpoint implements AutoCloseable {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private final HttpServer server;
    private boolean closed;

    public MetricsHttpEndpoint(InetSocketAddress listen, PrometheusMeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        try {
            server = HttpServer.create(listen, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + listen + " for metrics: " + e.getMessage(), e);
        }
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET")) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            server.stop(0);
        }
    }
}
