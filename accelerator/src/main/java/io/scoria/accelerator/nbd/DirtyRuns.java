package io.scoria.accelerator.nbd;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.accelerator.VolumeService;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The {@code qemu:dirty-bitmap:OLDER} context of a snapshot export {@code VOL@SNAP}: runs of a range
 * that changed after snapshot {@code OLDER} up to {@code SNAP} ({@link VolumeService#changes}) or
 * did not. Each call asks the volume service for the clusters of its range (the engine replays the
 * TLogs between the two snapshots, bounded by the range), so a client that maps a volume pays that
 * replay once per BLOCK_STATUS. Used by one connection's worker at a time.
 */
final class DirtyRuns {
    /** Receives one run: {@code length} bytes, changed or not; false to stop. */
    @FunctionalInterface
    interface Sink {
        boolean run(long length, boolean dirty);
    }

    private final VolumeService volumes;
    private final String volume;
    private final String since;
    private final String snapshot;
    private final long size;
    private final int clusterSize;

    DirtyRuns(VolumeService volumes, ExportName export, String since, long size, int clusterSize) {
        this.volumes = volumes;
        this.volume = export.volume();
        this.snapshot = export.snapshot();
        this.since = since;
        this.size = size;
        this.clusterSize = clusterSize;
    }

    /**
     * The names of the dirty bitmaps of {@code export}: the snapshots older than a snapshot export's,
     * oldest first; none for a volume export; null if the volume (or the snapshot) does not exist.
     */
    static List<String> bitmaps(VolumeService volumes, ExportName export) {
        if (!export.isSnapshot()) {
            return volumes.info(export.volume()).isPresent() ? List.of() : null;
        }
        List<SnapshotInfo> snaps;
        try {
            snaps = new ArrayList<>(volumes.open(export.volume()).listSnapshots());
        } catch (VolumeNotFoundException e) {
            return null;
        }
        snaps.sort(Comparator.comparingLong(SnapshotInfo::id));
        List<String> older = new ArrayList<>();
        for (SnapshotInfo s : snaps) {
            if (s.name().equals(export.snapshot())) {
                return older;
            }
            older.add(s.name());
        }
        return null;
    }

    /**
     * Runs from {@code offset} covering at most {@code length} bytes, at most {@code maxRuns} of them
     * (fewer bytes if the changes are that fragmented: the client asks again for the rest).
     */
    void runs(long offset, long length, int maxRuns, Sink sink) {
        long end = Math.min(size, offset + length);
        long alignedStart = offset / clusterSize * clusterSize;
        long alignedEnd = Math.min(size, (end + clusterSize - 1) / clusterSize * clusterSize);
        ChangedRanges c = volumes.changes(volume, since, snapshot, alignedStart, alignedEnd - alignedStart,
                Math.max(1, maxRuns / 2));
        long stop = c.next() < 0 ? end : Math.min(end, c.next());
        long pos = offset;
        for (ChangedRanges.Range r : c.ranges()) {
            long from = Math.max(pos, r.offset());
            long to = Math.min(stop, r.offset() + r.length());
            if (from > pos && !sink.run(from - pos, false)) {
                return;
            }
            if (to > from && !sink.run(to - from, true)) {
                return;
            }
            pos = Math.max(pos, to);
        }
        if (stop > pos) {
            sink.run(stop - pos, false);
        }
    }
}
