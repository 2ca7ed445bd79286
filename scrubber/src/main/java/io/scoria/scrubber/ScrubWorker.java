package io.scoria.scrubber;

import io.scoria.backend.BackendException;
import io.scoria.backend.Names;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.ScoFormatException;
import io.scoria.sco.scrub.ScrubWorkItem;
import io.scoria.sco.scrub.ScrubWorkQueue;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code scoria-scrub --worker}: takes scrub work that routers published on the backend
 * ({@link ScrubWorkQueue}) and scrubs it, wherever it runs. A worker takes an item by the volume's
 * scrub lease ({@code scrub/lease}, as every scrub does), so two workers never scrub one volume;
 * one that dies leaves a lease that expires (or, on the same host, is broken once its process is
 * gone) and the item is taken again. Under the lease it scrubs, writes the result where the
 * router looks for results, then removes the item. A malformed item is moved to
 * {@code rejected/} at once and an item whose scrub failed {@code maxAttempts} times too, so no
 * item is retried for ever. Between polls that found nothing to do it sleeps
 * {@code pollInterval} ± 20%, so that many workers do not list the queue in step.
 *
 * <p>Threads: {@link #run} and {@link #pollOnce} run on one thread; {@link #stop} and
 * {@link #awaitStopped} may be called from any other (a shutdown hook): a running scrub stops
 * before its next SCO, removes what it wrote and leaves its item for another worker.
 */
public final class ScrubWorker {
    /** What happened to one item in a poll. */
    public enum Outcome {
        /** Scrubbed; its result is written and the item removed. */
        SCRUBBED,
        /** Another scrub holds the volume's lease: left alone. */
        HELD,
        /** The item or the volume's namespace disappeared meanwhile; nothing to do. */
        GONE,
        /** A result of an earlier scrub waits to be applied: the item is removed (the router publishes again if needed). */
        RESULT_WAITING,
        /** The scrub failed; the item stays with one more attempt counted. */
        FAILED,
        /** Malformed, or failed too often: moved to {@code rejected/}. */
        REJECTED,
        /** The worker was asked to stop in the middle of the scrub; the item stays. */
        STOPPED
    }

    /**
     * How a worker runs.
     *
     * @param pollInterval how long it sleeps (± 20%) after a poll that scrubbed nothing (100 ms to 1 h)
     * @param scratchDir   local scratch space of the scrubs
     * @param leaseTtl     how long a volume's lease is valid without renewal (>= 1 s)
     * @param maxAttempts  failed scrubs of one item before it is rejected (1-100)
     */
    public record Settings(Duration pollInterval, Path scratchDir, Duration leaseTtl, int maxAttempts) {
        public Settings {
            Objects.requireNonNull(pollInterval, "pollInterval");
            Objects.requireNonNull(scratchDir, "scratchDir");
            Objects.requireNonNull(leaseTtl, "leaseTtl");
            if (pollInterval.compareTo(Duration.ofMillis(100)) < 0 || pollInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("the poll interval must be 100ms to 1h: " + pollInterval);
            }
            if (leaseTtl.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("the lease TTL must be at least 1 s: " + leaseTtl);
            }
            if (maxAttempts < 1 || maxAttempts > 100) {
                throw new IllegalArgumentException("maxAttempts must be 1-100: " + maxAttempts);
            }
        }
    }

    private final ObjectStore store;
    private final ScrubWorkQueue queue;
    private final Settings settings;
    private final PrintStream out;
    private final Random jitter = new Random();
    private final Object sleeper = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;

    /** A worker on {@code store} (the caller keeps ownership of it), reporting to {@code out}. */
    public ScrubWorker(ObjectStore store, Settings settings, PrintStream out) {
        this.store = Objects.requireNonNull(store, "store");
        this.queue = new ScrubWorkQueue(store);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.out = Objects.requireNonNull(out, "out");
    }

    /** Polls until {@link #stop}; a backend that fails is tried again at the next poll. */
    public void run() {
        try {
            while (!stopping) {
                boolean scrubbed = false;
                try {
                    scrubbed = pollOnce().containsValue(Outcome.SCRUBBED);
                } catch (BackendException | ScrubException e) {
                    log("cannot work the queue on %s, trying again in %s: %s", store.name(), settings.pollInterval(),
                            e.getMessage());
                }
                if (!scrubbed) {
                    sleep(nextDelay());
                }
            }
        } finally {
            stopped.countDown();
        }
    }

    /** Asks {@link #run} to stop: no new item is taken and a running scrub stops before its next SCO. */
    public void stop() {
        stopping = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    /** Waits up to {@code timeout} for {@link #run} to return; true if it did. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Lists the queue once and tries each pending item, in random order (so that workers spread
     * over the items); returns what happened to each, by namespace.
     */
    public Map<String, Outcome> pollOnce() {
        List<String> pending = new ArrayList<>(queue.pendingNamespaces());
        Collections.shuffle(pending, jitter);
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        for (String ns : pending) {
            if (stopping) {
                break;
            }
            outcomes.put(ns, take(ns));
        }
        return outcomes;
    }

    private Outcome take(String ns) {
        try {
            Names.checkNamespace(ns);
        } catch (IllegalArgumentException e) {
            return reject(ns, "the item's key names no valid namespace: " + e.getMessage());
        }
        Optional<ScrubWorkItem> item;
        try {
            item = queue.read(ns);
        } catch (ScoFormatException e) {
            return reject(ns, e.getMessage());
        }
        if (item.isEmpty()) {
            return Outcome.GONE;
        }
        if (!store.namespaceExists(ns)) {
            queue.remove(ns);
            log("%s: the volume's namespace is gone (volume deleted); its work item is removed", ns);
            return Outcome.GONE;
        }
        ScrubLease lease;
        try {
            lease = ScrubLease.acquire(store, ns, settings.leaseTtl());
        } catch (LeaseHeldException e) {
            return Outcome.HELD;
        }
        try (lease) {
            return scrubHolding(lease, ns);
        }
    }

    private Outcome scrubHolding(ScrubLease lease, String ns) {
        Optional<ScrubWorkItem> current;
        try {
            current = queue.read(ns); // another worker may have finished it between our listing and our lease
        } catch (ScoFormatException e) {
            return reject(ns, e.getMessage());
        }
        if (current.isEmpty()) {
            return Outcome.GONE;
        }
        ScrubWorkItem item = current.get();
        if (queue.resultWaiting(ns)) {
            queue.remove(ns);
            log("%s (volume %s): a scrub result waits for the router to apply it; the item is removed", ns, item.volume());
            return Outcome.RESULT_WAITING;
        }
        log(String.format(Locale.ROOT, "%s (volume %s, garbage %.2f, published by %s): scrubbing", ns, item.volume(),
                item.garbage(), item.publisher()));
        ScrubConfig job = new ScrubConfig(ns, List.of(), item.liveThreshold(), settings.scratchDir(), settings.leaseTtl());
        try {
            ScrubReport report = new Scrubber(store, job, out, () -> stopping).run(lease);
            queue.remove(ns);
            log("%s (volume %s): done, result %s", ns, item.volume(),
                    report.resultKey() == null ? "none (nothing to scrub)" : report.resultKey());
            return Outcome.SCRUBBED;
        } catch (ScrubStoppedException e) {
            log("%s: %s; the item is left for another worker", ns, e.getMessage());
            return Outcome.STOPPED;
        } catch (LeaseHeldException e) {
            log("%s: %s; the item is left to the lease's holder", ns, e.getMessage());
            return Outcome.HELD;
        } catch (ScrubException e) {
            ScrubWorkItem failed = item.failed(e.getMessage());
            if (failed.attempts() >= settings.maxAttempts()) {
                return reject(ns, "the scrub failed " + failed.attempts() + " times, last: " + e.getMessage());
            }
            queue.update(failed);
            log("%s (volume %s): scrub attempt %d of %d failed, tried again later: %s", ns, item.volume(),
                    failed.attempts(), settings.maxAttempts(), e.getMessage());
            return Outcome.FAILED;
        }
    }

    private Outcome reject(String ns, String reason) {
        queue.reject(ns, reason);
        log("skipping the work item of %s for good (moved to %s/%s%s): %s", ns, ScrubWorkQueue.NAMESPACE,
                ScrubWorkQueue.REJECTED_PREFIX, ns, reason);
        return Outcome.REJECTED;
    }

    private long nextDelay() {
        long base = settings.pollInterval().toMillis();
        return Math.max(1, (long) (base * (0.8 + 0.4 * jitter.nextDouble())));
    }

    private void sleep(long millis) {
        long deadline = System.currentTimeMillis() + millis;
        synchronized (sleeper) {
            long left;
            while (!stopping && (left = deadline - System.currentTimeMillis()) > 0) {
                try {
                    sleeper.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopping = true;
                }
            }
        }
    }

    private void log(String format, Object... args) {
        out.println("scoria-scrub worker: " + (args.length == 0 ? format : String.format(Locale.ROOT, format, args)));
    }
}
