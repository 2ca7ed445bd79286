package io.scoria.accelerator.volume;

import io.scoria.accelerator.ExtentSink;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.ClusterLocation;

/**
 * Turns an LBA map into allocation runs for {@link io.scoria.accelerator.Volume#extents}: a cluster
 * with a location holds data (its own or inherited from a clone's template), a cluster without one
 * (never written, trimmed, written with zeros) reads as zeros and stores nothing. Runs are merged
 * while their state stays the same; the last run ends at a cluster boundary (or the volume's end)
 * even when the range ends inside a cluster.
 *
 * <p>Lock-free like {@link LbaMap#get}: may run concurrently with writes, each cluster's state is
 * one that was true during the scan. Allocation-free except for one thread-local entry.
 */
final class AllocationScan {
    private static final ThreadLocal<LbaEntry> ENTRY = ThreadLocal.withInitial(LbaEntry::new);

    private AllocationScan() {
    }

    /** Reports {@code [offset, offset + length)} (already checked against {@code size}) to {@code sink}. */
    static void scan(LbaMap map, int clusterSize, long size, long offset, long length, ExtentSink sink) {
        LbaEntry e = ENTRY.get();
        long end = offset + length;
        long lba = offset / clusterSize;
        long runStart = offset;
        boolean runZero = zero(map, lba, e);
        long pos = Math.min((lba + 1) * clusterSize, size);
        while (pos < end) {
            lba++;
            boolean z = zero(map, lba, e);
            if (z != runZero) {
                if (!sink.extent(pos - runStart, runZero)) {
                    return;
                }
                runStart = pos;
                runZero = z;
            }
            pos = Math.min((lba + 1) * clusterSize, size);
        }
        sink.extent(pos - runStart, runZero);
    }

    private static boolean zero(LbaMap map, long lba, LbaEntry e) {
        map.get(lba, e);
        return e.location == ClusterLocation.ZERO;
    }
}
