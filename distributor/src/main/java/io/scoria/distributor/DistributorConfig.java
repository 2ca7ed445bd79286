package io.scoria.distributor;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Configuration of a {@link io.scoria.distributor.store.Distributor}.
 *
 * @param stores            at least {@code policy.totalFragments()} stores with unique names
 * @param policy            how new objects are written
 * @param hedgeDelay        after this long without an answer, a read also asks other fragments;
 *                          null (default) derives it from observed latency (2 x p95, 2 ms to 500 ms)
 * @param ioThreads         threads for fragment I/O (default 8 per store, at least 32)
 * @param manifestCacheSize manifests kept in memory so that a small read is a single GET
 *                          (default 100000)
 * @param draining          names of stores being drained: read as usual, but nothing new is placed on them,
 *                          and a rebalance moves their fragments and manifests to the other stores (empty by
 *                          default); the other stores must still be enough for the policy
 */
public record DistributorConfig(List<FragmentStore> stores, Policy policy, Duration hedgeDelay, int ioThreads,
                                int manifestCacheSize, Set<String> draining) {
    public DistributorConfig {
        if (stores == null || stores.isEmpty()) {
            throw new IllegalArgumentException("distributor stores must not be empty");
        }
        stores = List.copyOf(stores);
        if (policy == null) {
            throw new IllegalArgumentException("distributor policy must not be null");
        }
        if (stores.size() < policy.totalFragments()) {
            throw new IllegalArgumentException("distributor policy " + policy + " needs at least " + policy.totalFragments()
                    + " stores, got " + stores.size());
        }
        Set<String> names = new HashSet<>();
        for (FragmentStore s : stores) {
            if (!names.add(s.name())) {
                throw new IllegalArgumentException("distributor store name '" + s.name() + "' is used twice");
            }
        }
        if (hedgeDelay != null && (hedgeDelay.isNegative() || hedgeDelay.isZero())) {
            throw new IllegalArgumentException("distributor hedgeDelay must be positive: " + hedgeDelay);
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("distributor ioThreads must be >= 1: " + ioThreads);
        }
        if (manifestCacheSize < 0) {
            throw new IllegalArgumentException("distributor manifestCacheSize must be >= 0: " + manifestCacheSize);
        }
        draining = draining == null ? Set.of() : Set.copyOf(draining);
        for (String d : draining) {
            if (!names.contains(d)) {
                throw new IllegalArgumentException("distributor store '" + d + "' to drain is not one of the stores " + names);
            }
        }
        if (stores.size() - draining.size() < policy.totalFragments()) {
            throw new IllegalArgumentException("distributor policy " + policy + " needs " + policy.totalFragments()
                    + " stores that are not being drained, got " + (stores.size() - draining.size()) + " (draining "
                    + new java.util.TreeSet<>(draining) + ")");
        }
    }

    /** Defaults for everything but the stores and the policy. */
    public static DistributorConfig of(List<FragmentStore> stores, Policy policy) {
        return new DistributorConfig(stores, policy, null, Math.max(32, 8 * stores.size()), 100_000, Set.of());
    }

    public DistributorConfig withHedgeDelay(Duration delay) {
        return new DistributorConfig(stores, policy, delay, ioThreads, manifestCacheSize, draining);
    }

    public DistributorConfig withPolicy(Policy newPolicy) {
        return new DistributorConfig(stores, newPolicy, hedgeDelay, ioThreads, manifestCacheSize, draining);
    }

    public DistributorConfig withStores(List<FragmentStore> newStores) {
        return new DistributorConfig(newStores, policy, hedgeDelay, Math.max(ioThreads, 8 * newStores.size()), manifestCacheSize,
                draining);
    }

    /** The same with stores {@code names} being drained. */
    public DistributorConfig withDraining(Set<String> names) {
        return new DistributorConfig(stores, policy, hedgeDelay, ioThreads, manifestCacheSize, names);
    }
}
