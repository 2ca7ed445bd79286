package io.scoria.distributor.placement;

import io.scoria.backend.BackendException;
import io.scoria.backend.NotFoundException;
import io.scoria.distributor.DistributorConfig;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.ec.ErasureCodec;
import io.scoria.distributor.ec.ErasureCodecs;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The set of fragment stores one distributor spreads objects over, with what its parts share
 * about them: lookup by name, the fragment I/O threads, codecs per policy, read latencies and
 * the generation clock. Owns the I/O threads, not the stores.
 * Thread-safe.
 */
public final class StoreSet implements AutoCloseable {
    /** A store whose reads stay below this may be read on the caller's thread (1/8 of the 2 ms hedge floor). */
    public static final long FAST_READ_NANOS = 250_000;
    private static final long UNKNOWN_READ_NANOS = 50_000_000;
    private final DistributorConfig config;
    private final Map<String, FragmentStore> byName = new LinkedHashMap<>();
    private final ThreadPoolExecutor io;
    /** For tasks that wait on I/O tasks themselves; kept apart from {@link #io} so they cannot starve it. */
    private final ThreadPoolExecutor coordinators;
    private final LatencyTracker latency;
    private final Map<Long, ErasureCodec> codecs = new ConcurrentHashMap<>();
    private final AtomicLong lastGeneration = new AtomicLong();
    /** Per store name: its recent slowest read in nanoseconds, decaying by 1/8 with each read. */
    private final Map<String, AtomicLong> slowestRead = new HashMap<>();

    public StoreSet(DistributorConfig config) {
        this.config = config;
        for (FragmentStore s : config.stores()) {
            byName.put(s.name(), s);
            slowestRead.put(s.name(), new AtomicLong(UNKNOWN_READ_NANOS));
        }
        AtomicInteger threadNumber = new AtomicInteger();
        this.io = new ThreadPoolExecutor(config.ioThreads(), config.ioThreads(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "scoria-distributor-io-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        io.allowCoreThreadTimeOut(true);
        AtomicInteger coordinatorNumber = new AtomicInteger();
        this.coordinators = new ThreadPoolExecutor(16, 16, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "scoria-distributor-coordinator-" + coordinatorNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        coordinators.allowCoreThreadTimeOut(true);
        this.latency = new LatencyTracker(config.hedgeDelay());
        ErasureCodecs.chosen(); // decide (and log why) at start-up, not on the first put
    }

    public DistributorConfig config() {
        return config;
    }

    public List<FragmentStore> stores() {
        return config.stores();
    }

    /** Names of the stores being drained (nothing new is placed on them). */
    public Set<String> draining() {
        return config.draining();
    }

    /**
     * The stores in descending placement score for {@code seed} ({@link Placement#rank}), the stores being
     * drained moved to the end: writers take the first ones, readers ask the rest only when those fail.
     */
    public List<FragmentStore> rank(String seed) {
        List<FragmentStore> ranked = Placement.rank(seed, config.stores());
        if (config.draining().isEmpty()) {
            return ranked;
        }
        List<FragmentStore> out = new java.util.ArrayList<>(ranked.size());
        for (FragmentStore s : ranked) {
            if (!config.draining().contains(s.name())) {
                out.add(s);
            }
        }
        for (FragmentStore s : ranked) {
            if (config.draining().contains(s.name())) {
                out.add(s);
            }
        }
        return out;
    }

    /** The configured store of that name, or null if it is not (any longer) configured. */
    public FragmentStore store(String name) {
        return name == null ? null : byName.get(name);
    }

    public LatencyTracker latency() {
        return latency;
    }

    /** Records a successful fragment read of {@code store} that took {@code nanos}. */
    public void recordRead(FragmentStore store, long nanos) {
        latency.record(nanos);
        AtomicLong slowest = slowestRead.get(store.name());
        if (slowest != null) {
            long old = slowest.get();
            slowest.set(Math.max(nanos, old - (old >> 3)));
        }
    }

    /**
     * True when the recent reads of {@code store} were all far below the smallest hedge delay
     * ({@value #FAST_READ_NANOS} ns, decaying), so that a small read may run on the calling
     * thread instead of being handed to an I/O thread and hedged. A store starts as not fast;
     * one slow read makes it not fast until about 16 fast reads followed.
     */
    public boolean readsFast(FragmentStore store) {
        AtomicLong slowest = slowestRead.get(store.name());
        return slowest != null && slowest.get() < FAST_READ_NANOS;
    }

    /**
     * Puts one object on one store. A store that answers "no such namespace" although another
     * store has it came back empty (a wiped directory, a new bucket): it gets the namespace again
     * and the put is retried once. Runs on the calling thread; the caller keeps {@code data}
     * (read through duplicates).
     */
    public void put(FragmentStore target, String ns, String key, ByteBuffer data) {
        try {
            target.store().put(ns, key, data.duplicate());
        } catch (NotFoundException e) {
            if (!namespaceElsewhere(target, ns)) {
                throw e;
            }
            target.store().createNamespace(ns);
            target.store().put(ns, key, data.duplicate());
        }
    }

    private boolean namespaceElsewhere(FragmentStore except, String ns) {
        for (FragmentStore s : config.stores()) {
            try {
                if (s != except && s.store().namespaceExists(ns)) {
                    return true;
                }
            } catch (BackendException e) {
                // unreachable: ask the next one
            }
        }
        return false;
    }

    public ErasureCodec codec(int data, int total) {
        return codecs.computeIfAbsent(((long) data << 32) | total, k -> ErasureCodecs.create(data, total));
    }

    /** A generation higher than any this process handed out before: microseconds, made unique. */
    public long nextGeneration() {
        long now = System.currentTimeMillis() * 1000;
        return lastGeneration.updateAndGet(last -> Math.max(now, last + 1));
    }

    /** Runs one I/O call; such a task must not wait for other tasks. */
    public <T> Future<T> submit(Callable<T> task) {
        return io.submit(task);
    }

    /** Runs a task that itself submits I/O tasks and waits for them. */
    public <T> Future<T> coordinate(Callable<T> task) {
        return coordinators.submit(task);
    }

    public ExecutorService executor() {
        return io;
    }

    @Override
    public void close() {
        coordinators.shutdownNow();
        io.shutdownNow();
    }
}
