package io.scoria.backend.swift;

import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The HTTP side of a {@link SwiftObjectStore}: one {@link HttpClient} on its own daemon
 * threads, the current token, re-authentication (single flight: one thread authenticates, the
 * others wait on its future, no lock is held across I/O), and retries with exponential backoff.
 * Thread-safe.
 */
final class SwiftHttp implements AutoCloseable {
    /** Renew a token this long before the expiry the server announced. */
    private static final long EXPIRY_MARGIN_SECONDS = 30;

    /** Whether a call may be sent again after a failure. */
    enum Retry {
        /** The call is idempotent: retry after 5xx and any transport error. */
        IDEMPOTENT,
        /** Retry only when the request surely never reached the server (connection refused). */
        CONNECT_ONLY
    }

    /** A 5xx reply from the auth endpoint, retried like a transport error. */
    static final class RetryableStatusException extends IOException {
        private static final long serialVersionUID = 1L;

        RetryableStatusException(int status, String body) {
            super("HTTP " + status + (body.isEmpty() ? "" : ": " + body));
        }
    }

    private final String storeName;
    private final SwiftStoreConfig config;
    private final ExecutorService executor;
    private final HttpClient client;
    private final SwiftAuthenticator authenticator;
    private final AtomicReference<CompletableFuture<SwiftSession>> session = new AtomicReference<>();

    SwiftHttp(String storeName, SwiftStoreConfig config) {
        this.storeName = storeName;
        this.config = config;
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "swift-http-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Duration connect = config.requestTimeout().compareTo(Duration.ofSeconds(10)) < 0
                ? config.requestTimeout() : Duration.ofSeconds(10);
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connect)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
        this.authenticator = SwiftAuthenticator.of(config, storeName);
    }

    Duration requestTimeout() {
        return config.requestTimeout();
    }

    /** The storage URL of the current session (authenticates if needed). */
    String storageUrl() {
        return session().storageUrl();
    }

    /**
     * Sends the request built from the current session. Re-authenticates once on 401, retries
     * 5xx and transport errors as {@code retry} allows, and returns any other reply for the
     * caller to interpret.
     *
     * @param what    the operation for messages, e.g. {@code "GET ns/key"}
     * @param build   builds the request from a session; called once per attempt
     * @param handler reads the body; called once per attempt
     */
    <T> HttpResponse<T> send(String what, Function<SwiftSession, HttpRequest> build,
                             HttpResponse.BodyHandler<T> handler, Retry retry) {
        boolean reauthenticated = false;
        int attempt = 0;
        while (true) {
            SwiftSession current = session();
            HttpRequest request = build.apply(current);
            HttpResponse<T> response;
            try {
                response = client.send(request, handler);
            } catch (IOException e) {
                if (attempt < config.retries() && (retry == Retry.IDEMPOTENT || e instanceof ConnectException)) {
                    sleep(backoff(attempt++));
                    continue;
                }
                throw new BackendUnavailableException(storeName + ": " + what + " at " + request.uri() + " failed after "
                        + (attempt + 1) + " attempt(s): " + describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendUnavailableException(storeName + ": " + what + " interrupted", e);
            }
            int status = response.statusCode();
            if (status == 401) {
                if (!reauthenticated) {
                    reauthenticated = true;
                    invalidate(current);
                    continue;
                }
                throw new BackendUnavailableException(storeName + ": " + what + " at " + request.uri()
                        + " refused a fresh token (HTTP 401): wrong credentials or no access to this account");
            }
            if (status >= 500 && retry == Retry.IDEMPOTENT && attempt < config.retries()) {
                sleep(backoff(attempt++));
                continue;
            }
            return response;
        }
    }

    private SwiftSession session() {
        CompletableFuture<SwiftSession> f = session.get();
        if (f == null || (f.isDone() && (f.isCompletedExceptionally()
                || f.join().expiresSoon(Instant.now(), EXPIRY_MARGIN_SECONDS)))) {
            f = renew(f);
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof BackendException b) {
                throw b;
            }
            throw new BackendUnavailableException(storeName + ": authentication failed: " + e.getCause(), e.getCause());
        }
    }

    /** Forgets {@code stale} if it is still the current session. */
    private void invalidate(SwiftSession stale) {
        CompletableFuture<SwiftSession> f = session.get();
        if (f != null && f.isDone() && !f.isCompletedExceptionally() && f.join() == stale) {
            renew(f);
        }
    }

    /** Replaces {@code seen} by a new authentication unless another thread already did. */
    private CompletableFuture<SwiftSession> renew(CompletableFuture<SwiftSession> seen) {
        CompletableFuture<SwiftSession> mine = new CompletableFuture<>();
        if (!session.compareAndSet(seen, mine)) {
            return session.get();
        }
        try {
            mine.complete(authenticateWithRetries());
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
        }
        return mine;
    }

    private SwiftSession authenticateWithRetries() {
        int attempt = 0;
        while (true) {
            try {
                return authenticator.authenticate(client);
            } catch (IOException e) {
                if (attempt < config.retries()) {
                    sleep(backoff(attempt++));
                    continue;
                }
                throw new BackendUnavailableException(storeName + ": cannot authenticate at " + authenticator.endpoint()
                        + " after " + (attempt + 1) + " attempt(s): " + describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendUnavailableException(storeName + ": authentication interrupted", e);
            }
        }
    }

    private Duration backoff(int attempt) {
        long base = config.retryBackoff().toNanos() << Math.min(attempt, 16);
        long capped = Math.min(base, TimeUnit.SECONDS.toNanos(10));
        return Duration.ofNanos(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    private void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis(), d.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException(storeName + ": interrupted while waiting to retry", e);
        }
    }

    static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "cannot connect (" + (e.getMessage() == null ? "connection refused" : e.getMessage()) + ")";
        }
        if (e instanceof HttpTimeoutException) {
            return "timed out (" + e.getMessage() + ")";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    /** At most 200 characters of a reply body, on one line. */
    static String excerpt(String body) {
        if (body == null) {
            return "";
        }
        String oneLine = body.replaceAll("\\s+", " ").trim();
        return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 197) + "...";
    }

    static String excerpt(byte[] body) {
        return body == null ? "" : excerpt(new String(body, 0, Math.min(body.length, 400), StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
