package io.scoria.distributor.jobs;

import io.scoria.backend.BackendException;
import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectInfo;
import io.scoria.backend.ObjectPage;
import io.scoria.distributor.DistributorStatus;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.manifest.ObjectManifestStore;
import io.scoria.distributor.placement.StoreSet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/**
 * Takes a {@link DistributorStatus}: lists every store's namespaces and fragments, then checks
 * each object's manifest against those listings (a fragment counts as present when its store
 * answers and lists its key). Reads no fragment. Memory grows with the fragments of one
 * namespace. Thread-safe; each call is one survey on the calling thread plus listing tasks.
 */
public final class Survey {
    private final StoreSet storeSet;
    private final ObjectManifestStore manifests;
    private final BiFunction<String, String, ObjectPage> lister;

    public Survey(StoreSet storeSet, ObjectManifestStore manifests, BiFunction<String, String, ObjectPage> lister) {
        this.storeSet = storeSet;
        this.manifests = manifests;
        this.lister = lister;
    }

    private static final class StoreCounts {
        final FragmentStore store;
        String error;
        Set<String> namespaces = Set.of();
        long fragments;
        long bytes;
        long namespacesMissing;

        StoreCounts(FragmentStore store) {
            this.store = store;
        }
    }

    public DistributorStatus take() {
        long start = System.currentTimeMillis();
        List<StoreCounts> counts = new ArrayList<>();
        Map<String, StoreCounts> byName = new HashMap<>();
        for (FragmentStore s : storeSet.stores()) {
            StoreCounts c = new StoreCounts(s);
            counts.add(c);
            byName.put(s.name(), c);
        }
        List<Future<List<String>>> probes = new ArrayList<>();
        for (StoreCounts c : counts) {
            probes.add(storeSet.submit(() -> c.store.store().listNamespaces()));
        }
        TreeSet<String> namespaces = new TreeSet<>();
        for (int i = 0; i < counts.size(); i++) {
            StoreCounts c = counts.get(i);
            try {
                c.namespaces = new HashSet<>(probes.get(i).get());
                namespaces.addAll(c.namespaces);
            } catch (ExecutionException e) {
                c.error = e.getCause().getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while surveying the distributor's stores", e);
            }
        }
        long objects = 0;
        long degraded = 0;
        long unreadable = 0;
        long missing = 0;
        for (String ns : namespaces) {
            Map<String, Set<String>> present = fragmentsIn(ns, counts);
            String after = null;
            do {
                ObjectPage page = lister.apply(ns, after);
                for (ObjectInfo o : page.objects()) {
                    Manifest m;
                    try {
                        m = manifests.resolve(ns, o.key());
                    } catch (NotFoundException e) {
                        continue;
                    }
                    objects++;
                    if (m.size() == 0) {
                        continue;
                    }
                    int here = 0;
                    for (Manifest.Fragment f : m.fragments()) {
                        Set<String> keys = f.store() == null ? null : present.get(f.store());
                        if (keys != null && keys.contains(m.fragmentKey(f.index()))) {
                            here++;
                        }
                    }
                    missing += m.totalFragments() - here;
                    if (here < m.dataFragments()) {
                        unreadable++;
                    } else if (here < m.totalFragments()) {
                        degraded++;
                    }
                }
                after = page.nextAfter();
            } while (after != null);
        }
        List<DistributorStatus.Store> stores = new ArrayList<>();
        for (StoreCounts c : counts) {
            DistributorStatus.Health health = c.error != null ? DistributorStatus.Health.UNAVAILABLE
                    : c.namespacesMissing > 0 ? DistributorStatus.Health.EMPTY : DistributorStatus.Health.OK;
            stores.add(new DistributorStatus.Store(c.store.name(), c.store.failureDomain(), health, c.namespacesMissing,
                    c.fragments, c.bytes, c.error, storeSet.draining().contains(c.store.name())));
        }
        var policy = storeSet.config().policy();
        return new DistributorStatus(policy.dataFragments() + "+" + policy.parityFragments(), stores, namespaces.size(),
                objects, degraded, unreadable, missing, System.currentTimeMillis() - start);
    }

    /** Per reachable store, the fragment keys it holds in {@code ns}; counts them into the stores. */
    private Map<String, Set<String>> fragmentsIn(String ns, List<StoreCounts> counts) {
        Map<String, Future<List<ObjectInfo>>> listings = new HashMap<>();
        for (StoreCounts c : counts) {
            if (c.error != null) {
                continue;
            }
            if (!c.namespaces.contains(ns)) {
                c.namespacesMissing++;
                continue;
            }
            listings.put(c.store.name(), storeSet.submit(() -> c.store.store().listAll(ns, Manifest.FRAGMENT_PREFIX)));
        }
        Map<String, Set<String>> present = new HashMap<>();
        for (StoreCounts c : counts) {
            Future<List<ObjectInfo>> f = listings.get(c.store.name());
            if (f == null) {
                continue;
            }
            try {
                Set<String> keys = new HashSet<>();
                for (ObjectInfo o : f.get()) {
                    keys.add(o.key());
                    c.fragments++;
                    c.bytes += o.size();
                }
                present.put(c.store.name(), keys);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof BackendException)) {
                    throw new IllegalStateException("listing " + c.store.name() + ":" + ns + " failed", e.getCause());
                }
                c.error = e.getCause().getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while surveying the distributor's stores", e);
            }
        }
        return present;
    }
}
