package io.scoria.accelerator.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether this router can take I/O, for {@code GET /v1/ready}: runs its {@link HealthCheck}s in
 * parallel on its own threads, waits at most {@code timeout} for each (a check that does not
 * answer in time fails, saying so), and keeps the report for {@code cacheFor} so that frequent
 * probes (load balancers, Kubernetes) do not hammer the backend. A check still running from an
 * earlier call is not started twice. Thread-safe; {@link #close()} stops its threads and is
 * idempotent.
 */
public final class Readiness implements AutoCloseable {
    /** The checks' outcomes; {@code ready} when all passed. */
    public record Report(boolean ready, List<CheckResult> checks) {
        public Report {
            checks = List.copyOf(checks);
        }

        /** The checks that failed. */
        public List<CheckResult> failing() {
            return checks.stream().filter(c -> !c.ok()).toList();
        }
    }

    private final List<HealthCheck> checks;
    private final Duration timeout;
    private final long cacheNanos;
    private final ExecutorService executor;
    private final CompletableFuture<?>[] running;
    private Report last;
    private long lastAt;

    public Readiness(List<HealthCheck> checks, Duration timeout, Duration cacheFor) {
        this.checks = List.copyOf(checks);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.cacheNanos = cacheFor.toNanos();
        this.running = new CompletableFuture<?>[this.checks.size()];
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "readiness-check");
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs the checks (or returns the report of less than {@code cacheFor} ago). */
    @SuppressWarnings("unchecked")
    public synchronized Report check() {
        long now = System.nanoTime();
        if (last != null && now - lastAt < cacheNanos) {
            return last;
        }
        for (int i = 0; i < checks.size(); i++) {
            if (running[i] == null || running[i].isDone()) {
                running[i] = CompletableFuture.supplyAsync(checks.get(i)::check, executor);
            }
        }
        long deadline = now + timeout.toNanos();
        List<CheckResult> results = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            results.add(await((CompletableFuture<CheckResult>) running[i], checks.get(i).name(), deadline));
        }
        last = new Report(results.stream().allMatch(CheckResult::ok), results);
        lastAt = System.nanoTime();
        return last;
    }

    private CheckResult await(CompletableFuture<CheckResult> f, String name, long deadline) {
        try {
            return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return CheckResult.fail(name, "no answer within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            return CheckResult.fail(name, "check failed: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.fail(name, "interrupted");
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
