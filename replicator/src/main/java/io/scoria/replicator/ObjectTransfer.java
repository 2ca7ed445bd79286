package io.scoria.replicator;

import io.scoria.backend.CorruptDataException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.cache.OpenSco;
import io.scoria.sco.tlog.TLogReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Copies a TLog and its SCOs from one namespace to another, possibly on another store, in the
 * order that keeps the target consistent: every SCO the TLog seals, each checked against the
 * TLog's SCO_SEALED size and CRC32C, then the TLog itself (checked against its record and
 * CHECKSUM CRC32Cs when it was read). SCOs go in windows of {@code parallelism}: a window's
 * SCOs are read and checked in parallel, and put only when all of them passed, so after a
 * corrupt object nothing that follows it in shipping order reaches the target. Each put is one
 * whole-object put (atomic on every store, so no partial object is ever visible) paced by the
 * shared {@link BandwidthLimit}.
 *
 * {@link #shipTlogs} pipelines many TLogs: SCOs start across TLog boundaries and each SCO is put
 * as soon as it passed its check, so that the pool never waits for the slowest object of a window.
 *
 * <p>Threads: owns a fixed pool of {@code parallelism} threads; callers may be any thread, one
 * call at a time per caller. Buffers: each SCO is held whole on the heap from its read to its put.
 */
final class ObjectTransfer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectTransfer.class);

    /** One end of a copy: a namespace on a store. */
    record Site(ObjectStore store, String namespace) {
        Site {
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(namespace, "namespace");
        }

        String where(String key) {
            return store.name() + ":" + namespace + "/" + key;
        }
    }

    /** A SCO named by a TLog's SCO_SEALED record. */
    record SealedSco(String key, int crc, long bytes) {
    }

    private final int parallelism;
    private final BandwidthLimit limit;
    private final ReplicationCounters counters;
    private final ExecutorService pool;
    private volatile boolean closed;

    ObjectTransfer(int parallelism, BandwidthLimit limit, ReplicationCounters counters) {
        this.parallelism = parallelism;
        this.limit = Objects.requireNonNull(limit, "limit");
        this.counters = Objects.requireNonNull(counters, "counters");
        this.pool = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "scoria-replicate-transfer");
            t.setDaemon(true);
            return t;
        });
    }

    ReplicationCounters counters() {
        return counters;
    }

    /** Reads TLog {@code tlog} and checks it whole; returns its bytes. */
    static ByteBuffer readTlog(Site from, long tlog, int clusterSize, List<SealedSco> sealedOut) {
        String key = NamespaceLayout.tlogKey(tlog);
        ByteBuffer data = from.store().get(from.namespace(), key);
        TLogReader.Result r;
        try {
            r = TLogReader.replaySealed(data, from.where(key), TLogVisitor.sealedScos((scoId, crc, clusters) ->
                    sealedOut.add(new SealedSco(NamespaceLayout.scoKey(scoId), crc, (long) clusters * clusterSize))));
        } catch (CorruptDataException e) {
            throw new SourceCorruptException("source object " + from.where(key) + " fails its checksum: " + e.getMessage(), e);
        }
        if (r.tlogNumber() != tlog || r.clusterSize() != clusterSize) {
            throw new SourceCorruptException("source object " + from.where(key) + " holds TLog " + r.tlogNumber()
                    + " of cluster size " + r.clusterSize() + ", expected TLog " + tlog + " of cluster size " + clusterSize);
        }
        return data;
    }

    /**
     * Ships TLog {@code tlog}: its sealed SCOs, then the TLog. An SCO that {@code held} lists
     * with its size is not sent again (null: send every one).
     *
     * @return the SCOs the TLog seals
     */
    List<SealedSco> shipTlog(Site from, Site to, long tlog, int clusterSize, Map<String, Long> held) {
        List<SealedSco> scos = new ArrayList<>();
        ByteBuffer tlogBytes = readTlog(from, tlog, clusterSize, scos);
        List<SealedSco> toSend = new ArrayList<>();
        for (SealedSco s : scos) {
            Long size = held == null ? null : held.get(s.key());
            if (size != null && size == s.bytes()) {
                counters.skipped(to.namespace());
            } else {
                toSend.add(s);
            }
        }
        for (int i = 0; i < toSend.size(); i += parallelism) {
            shipWindow(from, to, toSend.subList(i, Math.min(toSend.size(), i + parallelism)));
        }
        put(to, NamespaceLayout.tlogKey(tlog), tlogBytes);
        return scos;
    }

    /**
     * Ships TLogs {@code tlogs} as one pipeline: up to {@code parallelism} SCOs are read, checked
     * and put at once, across TLog boundaries (the SCOs of the next TLogs start while the last ones
     * of a TLog are still in flight), and each TLog is put as soon as every SCO it seals and the TLog
     * before it are on the target, so the target holds a TLog only with its SCOs and its
     * predecessors, as with {@link #shipTlog} one TLog at a time. TLogs are
     * read and checked on the caller's thread, in order, which blocks while {@code parallelism}
     * SCOs are in flight (at most that many SCOs are on the heap). An SCO is put only once it and
     * every SCO before it in shipping order passed their checks, so after a corrupt source object
     * nothing that follows it reaches the target. After a failure no new SCO starts, what is in
     * flight settles, and the first failure is thrown. {@code shipped} is called once per TLog
     * put, from a pool thread.
     */
    void shipTlogs(Site from, Site to, List<Long> tlogs, int clusterSize, Map<String, Long> held, Runnable shipped) {
        Semaphore slots = new Semaphore(parallelism);
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<CompletableFuture<Void>> tlogPuts = new ArrayList<>();
        List<CompletableFuture<Void>> scoPuts = new ArrayList<>();
        CompletableFuture<Void> checked = CompletableFuture.completedFuture(null); // every SCO so far passed its check
        try {
            for (long t : tlogs) {
                if (failure.get() != null) {
                    break;
                }
                List<SealedSco> scos = new ArrayList<>();
                ByteBuffer tlogBytes = readTlog(from, t, clusterSize, scos);
                List<SealedSco> toSend = new ArrayList<>();
                for (SealedSco s : scos) {
                    Long size = held.get(s.key());
                    if (size != null && size == s.bytes()) {
                        counters.skipped(to.namespace());
                    } else {
                        toSend.add(s);
                    }
                }
                counters.volume(to.namespace()).pending(toSend.size());
                List<CompletableFuture<Void>> sealed = new ArrayList<>();
                for (SealedSco s : toSend) {
                    slots.acquireUninterruptibly();
                    if (failure.get() != null) {
                        slots.release();
                        break;
                    }
                    CompletableFuture<ByteBuffer> read = CompletableFuture.supplyAsync(() -> readSco(from, s), pool);
                    CompletableFuture<ByteBuffer> ready = checked.thenCombine(read, (ok, data) -> data);
                    checked = ready.thenApply(data -> null);
                    CompletableFuture<Void> put = ready.thenAcceptAsync(data -> put(to, s.key(), data), pool)
                            .whenComplete((v, e) -> {
                                slots.release();
                                recordFailure(failure, e);
                            });
                    sealed.add(put);
                    scoPuts.add(put);
                }
                if (failure.get() != null) {
                    break;
                }
                if (!tlogPuts.isEmpty()) {
                    sealed.add(tlogPuts.get(tlogPuts.size() - 1)); // TLogs land in order: the target's are a prefix
                }
                String key = NamespaceLayout.tlogKey(t);
                tlogPuts.add(CompletableFuture.allOf(sealed.toArray(CompletableFuture[]::new))
                        .thenRunAsync(() -> {
                            put(to, key, tlogBytes);
                            shipped.run();
                        }, pool)
                        .whenComplete((v, e) -> recordFailure(failure, e)));
            }
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        }
        settled(scoPuts);
        settled(tlogPuts);
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    /** Keeps the first failure of a pipelined put, unwrapped from the futures' wrappers. */
    private static void recordFailure(AtomicReference<RuntimeException> failure, Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof RuntimeException re) {
            failure.compareAndSet(null, re);
        } else if (e != null) {
            failure.compareAndSet(null, new ReplicationException("shipping failed: " + e, e));
        }
    }

    private void shipWindow(Site from, Site to, List<SealedSco> window) {
        List<CompletableFuture<ByteBuffer>> reads = new ArrayList<>();
        for (SealedSco s : window) {
            reads.add(async(() -> readSco(from, s)));
        }
        List<ByteBuffer> data = new ArrayList<>();
        for (CompletableFuture<ByteBuffer> f : settled(reads)) {
            data.add(join(f));
        }
        List<CompletableFuture<Void>> puts = new ArrayList<>();
        for (int i = 0; i < window.size(); i++) {
            String key = window.get(i).key();
            ByteBuffer bytes = data.get(i);
            puts.add(async(() -> {
                put(to, key, bytes);
                return null;
            }));
        }
        settled(puts).forEach(ObjectTransfer::join);
    }

    /**
     * Waits until every future is done, failed or not, so that no put of a failed window is
     * still running when the caller lists the target again.
     */
    private static <T> List<CompletableFuture<T>> settled(List<CompletableFuture<T>> futures) {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            // each future is joined by the caller in order, which throws the first failure
        }
        return futures;
    }

    private static ByteBuffer readSco(Site from, SealedSco s) {
        ByteBuffer data = from.store().get(from.namespace(), s.key());
        if (data.remaining() != s.bytes()) {
            throw new SourceCorruptException("source object " + from.where(s.key()) + " holds " + data.remaining()
                    + " bytes, its TLog's SCO_SEALED record says " + s.bytes());
        }
        int crc = OpenSco.checksum(data);
        if (crc != s.crc()) {
            throw new SourceCorruptException(String.format(java.util.Locale.ROOT,
                    "source object %s fails its checksum: CRC32C %08x, its TLog's SCO_SEALED record says %08x",
                    from.where(s.key()), crc, s.crc()));
        }
        return data;
    }

    /** One whole-object put, paced by the bandwidth limit, counted and logged. */
    void put(Site to, String key, ByteBuffer data) {
        if (closed) {
            throw new ReplicationException("replication stopped");
        }
        try {
            limit.acquire(data.remaining());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReplicationException("interrupted before shipping " + to.where(key), e);
        }
        to.store().put(to.namespace(), key, data);
        counters.shipped(to.namespace(), data.remaining());
        LOG.info("shipped {} ({} bytes)", to.where(key), data.remaining());
    }

    private <T> CompletableFuture<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, pool);
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw e;
        }
    }

    /** Stops the pool after the puts in flight (a transfer in progress fails at its next put). Idempotent. */
    @Override
    public void close() {
        closed = true;
        pool.shutdown();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** The size of every SCO and TLog in {@code site} (empty for a missing namespace). */
    static Map<String, Long> held(Site site) {
        Map<String, Long> sizes = new java.util.HashMap<>();
        if (!site.store().namespaceExists(site.namespace())) {
            return sizes;
        }
        for (String prefix : List.of(NamespaceLayout.SCO_PREFIX, NamespaceLayout.TLOG_PREFIX)) {
            site.store().listAll(site.namespace(), prefix).forEach(o -> sizes.put(o.key(), o.size()));
        }
        return sizes;
    }

}
