package io.scoria.sco;

/**
 * Receives the records of a TLog in order, without allocation per record. Markers have
 * default no-op implementations.
 */
public interface TLogVisitor {
    /** A cluster write; {@code location == ClusterLocation.ZERO} for zero/trimmed clusters. */
    void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc);

    /**
     * A cluster a clone copied unchanged from its parent chain (a HYDRATED record): it sets the LBA
     * like {@link #cluster}, which is what this default does; a reader that asks what the guest
     * changed (changed ranges between snapshots) overrides it to skip the record.
     */
    default void hydrated(long lba, long location, long fpHi, long fpLo, int dataCrc) {
        cluster(lba, location, fpHi, fpLo, dataCrc);
    }

    /** SCO {@code scoId} (a location with depth and offset 0) was sealed. */
    default void scoSealed(long scoId, int crc32c, int clusters) {
    }

    default void syncPoint(long epochMillis) {
    }

    default void snapshot(long snapshotId) {
    }

    /** Receives the SCO_SEALED records of a TLog (see {@link #sealedScos}). */
    @FunctionalInterface
    interface SealedSco {
        void scoSealed(long scoId, int crc32c, int clusters);
    }

    /**
     * A visitor that skips cluster records and markers and hands each SCO_SEALED record, in
     * order, to {@code sealed}: what a reader that only needs a TLog's sealed SCOs (uploads,
     * restart checks, discarding history) passes to {@link io.scoria.sco.tlog.TLogReader}.
     */
    static TLogVisitor sealedScos(SealedSco sealed) {
        return new TLogVisitor() {
            @Override
            public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
            }

            @Override
            public void scoSealed(long scoId, int crc32c, int clusters) {
                sealed.scoSealed(scoId, crc32c, clusters);
            }
        };
    }
}
