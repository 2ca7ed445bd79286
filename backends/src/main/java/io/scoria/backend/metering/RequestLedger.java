package io.scoria.backend.metering;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * The request counters of every store a program opened (the backend, and under a distributor
 * each of its stores), by store label and namespace. Requests that name no namespace (listing
 * the namespaces) count under {@link #STORE_WIDE}. Entries are created on first use and never
 * removed, so a deleted volume's counts stay visible until the program exits.
 *
 * <p>Thread-safe. Listeners ({@link #onNewCounters}) are called on the thread that made the
 * first request of a (store, namespace) pair, once per pair; they must be quick.
 */
public final class RequestLedger {
    /** The namespace label of requests that name no namespace. */
    public static final String STORE_WIDE = "-";

    /** One store's counters for one namespace. */
    public record Entry(String store, String namespace, RequestCounts counts) {
    }

    private record Key(String store, String namespace) {
    }

    private final Map<Key, RequestCounters> counters = new ConcurrentHashMap<>();
    private final List<BiConsumer<Key, RequestCounters>> listeners = new CopyOnWriteArrayList<>();

    /** The counters of {@code store} for {@code namespace} (null: {@link #STORE_WIDE}), created on first use. */
    public RequestCounters counters(String store, String namespace) {
        Key key = new Key(Objects.requireNonNull(store, "store"), namespace == null ? STORE_WIDE : namespace);
        RequestCounters c = counters.get(key);
        if (c != null) {
            return c;
        }
        boolean[] created = new boolean[1];
        c = counters.computeIfAbsent(key, k -> {
            created[0] = true;
            return new RequestCounters();
        });
        if (created[0]) {
            for (BiConsumer<Key, RequestCounters> l : listeners) {
                l.accept(key, c);
            }
        }
        return c;
    }

    /**
     * Calls {@code listener} with (store, namespace, counters) for every pair that exists now and
     * for every pair created later.
     */
    public void onNewCounters(NewCounters listener) {
        Objects.requireNonNull(listener, "listener");
        BiConsumer<Key, RequestCounters> l = (k, c) -> listener.created(k.store(), k.namespace(), c);
        listeners.add(l);
        counters.forEach(l);
    }

    /** Receives (store, namespace) pairs as they appear. */
    @FunctionalInterface
    public interface NewCounters {
        void created(String store, String namespace, RequestCounters counters);
    }

    /** Every (store, namespace) pair with its counts now, sorted by store then namespace. */
    public List<Entry> snapshot() {
        List<Entry> all = new ArrayList<>();
        counters.forEach((k, c) -> all.add(new Entry(k.store(), k.namespace(), c.snapshot())));
        all.sort(Comparator.comparing(Entry::store).thenComparing(Entry::namespace));
        return all;
    }

    /** The counts of {@code store} for {@code namespace}; zeros if it saw no request. */
    public RequestCounts counts(String store, String namespace) {
        RequestCounters c = counters.get(new Key(store, namespace));
        return c == null ? RequestCounts.ZERO : c.snapshot();
    }

    /**
     * The requests the providers see: the sum over the stores no other store is built on (a plain
     * backend itself; under a distributor its stores {@code distributor/<name>}, not the
     * distributor), for {@code namespace}, or for all namespaces when it is null.
     */
    public RequestCounts billed(String namespace) {
        List<String> stores = stores();
        RequestCounts sum = RequestCounts.ZERO;
        for (Entry e : snapshot()) {
            if ((namespace == null || e.namespace().equals(namespace)) && isLeaf(e.store(), stores)) {
                sum = sum.plus(e.counts());
            }
        }
        return sum;
    }

    /** Every store's counts for {@code namespace}, by store label (sorted); empty if none saw it. */
    public Map<String, RequestCounts> byStore(String namespace) {
        Map<String, RequestCounts> m = new java.util.TreeMap<>();
        for (Entry e : snapshot()) {
            if (e.namespace().equals(namespace)) {
                m.put(e.store(), e.counts());
            }
        }
        return m;
    }

    private static boolean isLeaf(String store, List<String> stores) {
        for (String other : stores) {
            if (other.startsWith(store + "/")) {
                return false;
            }
        }
        return true;
    }

    /** The labels of the stores that saw requests, sorted. */
    public List<String> stores() {
        return counters.keySet().stream().map(Key::store).distinct().sorted().toList();
    }
}
