package io.scoria.sco;

/**
 * Receives the records of a TLog in order, without allocation per record. Markers have
 * default no-op implementations.
 */
public interface TLogVisitor {
    /** A cluster write; {@code location == ClusterLocation.ZERO} for zero/trimmed clusters. */
    void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc);

    /** SCO {@code scoId} (a location with depth and offset 0) was sealed. */
    default void scoSealed(long scoId, int crc32c, int clusters) {
    }

    default void syncPoint(long epochMillis) {
    }

    default void snapshot(long snapshotId) {
    }
}
