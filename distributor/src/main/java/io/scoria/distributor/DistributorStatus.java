package io.scoria.distributor;

import java.util.List;

/**
 * The state of a distributor's data as one survey found it: each store's health and what it
 * holds, and how many objects are below full redundancy. Taken from listings and manifests
 * only (no fragment is read; {@code repair} verifies contents). Immutable.
 *
 * @param policy            how new objects are written ({@code 4+2})
 * @param namespaces        namespaces seen on any store
 * @param objects           objects (manifests) surveyed
 * @param objectsDegraded   objects with fewer than Y fragments present (still readable while at least X are)
 * @param objectsUnreadable objects with fewer than X fragments present
 * @param fragmentsMissing  fragments a manifest names that are not on their store (or whose store is down)
 * @param tookMillis        how long the survey took
 */
public record DistributorStatus(String policy, List<Store> stores, long namespaces, long objects, long objectsDegraded,
                                long objectsUnreadable, long fragmentsMissing, long tookMillis) {
    /** Health of one store. */
    public enum Health {
        /** answers and holds every namespace the others hold */
        OK,
        /** answers but lacks namespaces the others hold: it came back empty (wiped directory, new bucket) */
        EMPTY,
        /** does not answer */
        UNAVAILABLE
    }

    /**
     * One store.
     *
     * @param namespacesMissing namespaces other stores hold that this one lacks
     * @param fragments         fragment objects it holds
     * @param bytes             bytes of those fragments
     * @param error             why it is unavailable; null otherwise
     * @param draining          being drained: nothing new is placed on it, a rebalance empties it; it may
     *                          leave the configuration once it holds no fragment
     */
    public record Store(String name, String failureDomain, Health health, long namespacesMissing, long fragments,
                        long bytes, String error, boolean draining) {
    }

    public DistributorStatus {
        stores = List.copyOf(stores);
    }

    /** True when every object has all its fragments and every store answers. */
    public boolean fullRedundancy() {
        return objectsDegraded == 0 && objectsUnreadable == 0 && stores.stream().allMatch(s -> s.health() == Health.OK);
    }
}
