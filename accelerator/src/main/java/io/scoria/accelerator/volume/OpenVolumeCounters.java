package io.scoria.accelerator.volume;

import io.scoria.accelerator.VolumeCounters;
import io.scoria.sco.cache.LocalScoCache;

/** An open volume's cache hits and misses (its cluster reader's) and SCO backlog (its SCOs pinned in the cache). */
record OpenVolumeCounters(ClusterReader clusters, LocalScoCache scoCache, String namespace) implements VolumeCounters {
    @Override
    public long cacheHits() {
        return clusters.cacheHits();
    }

    @Override
    public long cacheMisses() {
        return clusters.cacheMisses();
    }

    @Override
    public long scoBacklogBytes() {
        return scoCache.pinnedBytes(namespace);
    }
}
