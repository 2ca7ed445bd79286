package io.scoria.accelerator.dedup;

/** A consistent copy of the cluster cache counters. */
public record CacheStats(int slots, int occupied, long hits, long misses, long inserts, long duplicates, long collisions,
                         long evictions) {
}
