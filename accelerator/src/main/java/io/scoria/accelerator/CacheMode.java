package io.scoria.accelerator;

/** How a volume uses the node's shared cluster cache. */
public enum CacheMode {
    /** Written and read clusters are inserted (default). */
    CACHE_ON_WRITE,
    /** Only clusters read from an SCO or the backend are inserted. */
    CACHE_ON_READ,
    /** The volume neither reads from nor inserts into the cluster cache. */
    NO_CACHE
}
