package io.scoria.distributor.manifest;

import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.NotFoundException;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.placement.StoreSet;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The replicated manifests of distributed objects ({@link Manifest}: size, code, fragment
 * placement and checksums; not the volume manifests of sco-store). Replicas of a key's manifest go to the first Y-X+1 reachable stores in
 * the rendezvous ranking of {@code m/<key>}; a reader asks the top of that ranking (then all
 * stores) and takes the newest valid replica, so a stale replica on a store that was down
 * during an overwrite loses. Recently used manifests are cached so that small reads cost one
 * GET. Thread-safe; no lock is held during I/O.
 */
public final class ObjectManifestStore {
    private final StoreSet storeSet;
    private final Map<String, Manifest> cache;
    private final int cacheSize;

    public ObjectManifestStore(StoreSet storeSet) {
        this.storeSet = storeSet;
        this.cacheSize = storeSet.config().manifestCacheSize();
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Manifest> eldest) {
                return size() > cacheSize;
            }
        };
    }

    /**
     * Fewer replicas than required were written, but some were: readers may already see this
     * manifest, so the fragments it names must stay. The outcome of the put is "unknown" to
     * its caller, like a timeout.
     */
    public static final class PartiallyWrittenException extends BackendUnavailableException {
        private static final long serialVersionUID = 1L;

        PartiallyWrittenException(String message) {
            super(message);
        }
    }

    /** One replica read: the manifest, or null if that store has none. */
    public record Replica(FragmentStore store, Manifest manifest, BackendException error) {
    }

    private static String cacheKey(String ns, String key) {
        return ns + '\u0000' + key;
    }

    public Manifest cached(String ns, String key) {
        synchronized (cache) {
            return cache.get(cacheKey(ns, key));
        }
    }

    public void remember(String ns, Manifest m) {
        if (cacheSize == 0) {
            return;
        }
        synchronized (cache) {
            Manifest old = cache.get(cacheKey(ns, m.key()));
            if (m.isNewerThan(old)) {
                cache.put(cacheKey(ns, m.key()), m);
            }
        }
    }

    public void forget(String ns, String key) {
        synchronized (cache) {
            cache.remove(cacheKey(ns, key));
        }
    }

    public void forgetNamespace(String ns) {
        synchronized (cache) {
            cache.keySet().removeIf(k -> k.startsWith(ns + '\u0000'));
        }
    }

    public List<FragmentStore> ranking(String key) {
        return storeSet.rank(Manifest.manifestKey(key));
    }

    /** The cached manifest, else the newest replica; throws NotFound/BackendUnavailable. */
    public Manifest resolve(String ns, String key) {
        Manifest m = cached(ns, key);
        return m != null ? m : fetch(ns, key);
    }

    /** Reads replicas from the stores (skipping the cache), caches and returns the newest. */
    public Manifest fetch(String ns, String key) {
        List<FragmentStore> ranked = ranking(key);
        int top = Math.min(ranked.size(), storeSet.config().policy().manifestReplicas());
        List<Replica> replicas = readReplicas(ns, key, ranked.subList(0, top), true);
        Manifest best = newest(replicas);
        if (best == null) {
            List<Replica> rest = readReplicas(ns, key, ranked.subList(top, ranked.size()), false);
            replicas.addAll(rest);
            best = newest(replicas);
        }
        if (best == null) {
            int unavailable = 0;
            int corrupt = 0;
            boolean namespaceMissing = true;
            for (Replica r : replicas) {
                if (r.error() instanceof CorruptDataException) {
                    corrupt++;
                } else if (r.error() != null && !(r.error() instanceof NotFoundException)) {
                    unavailable++;
                }
                if (!(r.error() instanceof NotFoundException) || !r.error().getMessage().contains("namespace")) {
                    namespaceMissing = false;
                }
            }
            if (unavailable + corrupt >= storeSet.config().policy().manifestReplicas()) {
                throw new BackendUnavailableException("distributor: manifest of '" + key + "' in '" + ns + "' not found; "
                        + unavailable + " of " + replicas.size() + " stores unavailable and " + corrupt
                        + " replicas corrupt, so it may exist");
            }
            throw new NotFoundException(namespaceMissing
                    ? "distributor: namespace '" + ns + "' does not exist"
                    : "distributor: object '" + key + "' not found in namespace '" + ns + "'");
        }
        remember(ns, best);
        return best;
    }

    /**
     * The newest replica among the top of the ranking, or null if none answered with one; for
     * writers that want to delete the generation they replace. Errors count as "none".
     */
    public Manifest peek(String ns, String key) {
        Manifest m = cached(ns, key);
        if (m != null) {
            return m;
        }
        List<FragmentStore> ranked = ranking(key);
        int top = Math.min(ranked.size(), storeSet.config().policy().manifestReplicas());
        return newest(readReplicas(ns, key, ranked.subList(0, top), true));
    }

    /** Every store's replica (for repair and rebalance), in ranking order. */
    public List<Replica> readAll(String ns, String key) {
        return readReplicas(ns, key, ranking(key), false);
    }

    /**
     * Reads from the given stores in parallel. With {@code hedged}, once one replica arrived the
     * others get one more hedge delay, so a slow store does not hold up the read.
     */
    private List<Replica> readReplicas(String ns, String key, List<FragmentStore> stores, boolean hedged) {
        LinkedBlockingQueue<Replica> done = new LinkedBlockingQueue<>();
        List<Future<?>> futures = new ArrayList<>();
        for (FragmentStore s : stores) {
            futures.add(storeSet.submit(() -> {
                done.add(readReplica(s, ns, key));
                return null;
            }));
        }
        List<Replica> out = new ArrayList<>();
        long graceEnd = Long.MAX_VALUE;
        try {
            while (out.size() < stores.size()) {
                long wait = graceEnd == Long.MAX_VALUE ? Long.MAX_VALUE : graceEnd - System.nanoTime();
                Replica r = wait == Long.MAX_VALUE ? done.take() : done.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
                if (r == null) {
                    break;
                }
                out.add(r);
                if (hedged && r.manifest() != null && graceEnd == Long.MAX_VALUE) {
                    graceEnd = System.nanoTime() + storeSet.latency().hedgeDelayNanos();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("distributor: interrupted reading manifest of '" + key + "'", e);
        } finally {
            for (Future<?> f : futures) {
                f.cancel(true);
            }
        }
        return out;
    }

    public Replica readReplica(FragmentStore s, String ns, String key) {
        String mkey = Manifest.manifestKey(key);
        try {
            ByteBuffer b = s.store().get(ns, mkey);
            Manifest m = ManifestCodec.decode(b, s.name() + ":" + ns + "/" + mkey);
            if (!m.key().equals(key)) {
                throw new CorruptDataException("manifest " + s.name() + ":" + ns + "/" + mkey + " names key '" + m.key() + "'");
            }
            return new Replica(s, m, null);
        } catch (BackendException e) {
            return new Replica(s, null, e);
        } catch (RuntimeException e) {
            return new Replica(s, null, new BackendUnavailableException(s.name() + ": " + e, e));
        }
    }

    private static Manifest newest(List<Replica> replicas) {
        Manifest best = null;
        for (Replica r : replicas) {
            if (r.manifest() != null && r.manifest().isNewerThan(best)) {
                best = r.manifest();
            }
        }
        return best;
    }

    /**
     * Writes the manifest to the first {@code manifestReplicas} reachable stores of its ranking
     * (trying further stores when one fails) and caches it.
     *
     * @param required fewest replicas that make the write count
     * @return the stores that now hold it
     * @throws BackendUnavailableException if fewer than {@code required} replicas were written
     */
    public List<FragmentStore> write(String ns, Manifest m, int replicas, int required) {
        byte[] bytes = ManifestCodec.encode(m);
        String mkey = Manifest.manifestKey(m.key());
        List<FragmentStore> ranked = ranking(m.key());
        List<FragmentStore> written = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        int next = 0;
        boolean namespaceMissing = true;
        while (written.size() < replicas && next < ranked.size()) {
            int batch = Math.min(replicas - written.size(), ranked.size() - next);
            List<FragmentStore> targets = ranked.subList(next, next + batch);
            next += batch;
            List<Future<?>> futures = new ArrayList<>();
            for (FragmentStore s : targets) {
                futures.add(storeSet.submit(() -> {
                    storeSet.put(s, ns, mkey, ByteBuffer.wrap(bytes));
                    return null;
                }));
            }
            for (int i = 0; i < targets.size(); i++) {
                try {
                    futures.get(i).get();
                    written.add(targets.get(i));
                } catch (ExecutionException e) {
                    errors.add(targets.get(i).name() + ": " + e.getCause().getMessage());
                    if (!(e.getCause() instanceof NotFoundException)) {
                        namespaceMissing = false;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BackendUnavailableException("distributor: interrupted writing manifest of '" + m.key() + "'", e);
                }
            }
        }
        if (written.size() < required) {
            if (written.isEmpty() && namespaceMissing && !errors.isEmpty()) {
                throw new NotFoundException("distributor: namespace '" + ns + "' does not exist");
            }
            String message = "distributor: manifest of '" + m.key() + "' in '" + ns + "' stored on only "
                    + written.size() + " stores, " + required + " needed: " + errors;
            if (!written.isEmpty()) {
                remember(ns, m);
                throw new PartiallyWrittenException(message);
            }
            throw new BackendUnavailableException(message);
        }
        remember(ns, m);
        return written;
    }

    /** Deletes the replica on every store; returns the names of stores that could not be reached. */
    public List<String> deleteEverywhere(String ns, String key) {
        forget(ns, key);
        String mkey = Manifest.manifestKey(key);
        List<Future<?>> futures = new ArrayList<>();
        for (FragmentStore s : storeSet.stores()) {
            futures.add(storeSet.submit(() -> {
                s.store().delete(ns, mkey);
                return null;
            }));
        }
        List<String> failed = new ArrayList<>();
        Set<Integer> missingNamespace = new HashSet<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                futures.get(i).get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof NotFoundException) {
                    missingNamespace.add(i);
                } else {
                    failed.add(storeSet.stores().get(i).name() + " (" + e.getCause().getMessage() + ")");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackendUnavailableException("distributor: interrupted deleting manifest of '" + key + "'", e);
            }
        }
        return failed;
    }
}
