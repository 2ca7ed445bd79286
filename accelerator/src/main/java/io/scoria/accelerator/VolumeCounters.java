package io.scoria.accelerator;

/**
 * Running figures of one open volume that monitoring reads at scrape time: cluster cache hits
 * and misses of its reads, and the bytes of its SCOs on local flash not yet on the backend (its
 * SCO backlog). The engine keeps them; it knows nothing of who reads them. Thread-safe; each
 * call reads the current value.
 */
public interface VolumeCounters {
    /** Clusters this volume read from the cluster cache since it was opened. */
    long cacheHits();

    /** Clusters this volume looked up in the cluster cache and did not find there, since it was opened. */
    long cacheMisses();

    /** Bytes of this volume's SCOs on local flash that are not on the backend yet. */
    long scoBacklogBytes();
}
