package io.scoria.accelerator.volume;

import io.scoria.accelerator.ChangedRanges;
import io.scoria.accelerator.VolumeNotFoundException;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.TLogVisitor;
import io.scoria.sco.VolumeManifest;
import io.scoria.sco.tlog.TLogReader;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which clusters changed between two snapshots of one volume: every LBA that a TLog of the
 * snapshots after {@code from} up to {@code to} names: writes, and zeroes and trims of clusters
 * that held data (the engine logs no entry for a trim of a hole, which changes nothing). Clusters that
 * hydration copied from a clone's parent chain (HYDRATED records) are no change: the clone reads the
 * same bytes before and after, and a write of the guest after the copy is a record of its own. A scrub
 * keeps each snapshot's entries within it, and deleting a snapshot joins its TLogs to the next,
 * so the answer stays the same. The LBAs are
 * marked in a sparse bitmap of 1 GiB regions (32 KiB per region touched at 4 KiB clusters), and
 * only within the window asked for, so one call holds at most {@link #MAX_WINDOW_CLUSTERS} / 8
 * bytes of bitmap. Stateless; TLogs are read like a rebuild reads them (local copy, else backend).
 */
final class SnapshotChanges {
    /** Clusters of one bitmap region. */
    private static final int REGION_CLUSTERS = 1 << 18;
    /** Most clusters one call may cover: 2^29 (2 TiB at 4 KiB clusters, a 64 MiB bitmap at most). */
    static final long MAX_WINDOW_CLUSTERS = 1L << 29;

    private SnapshotChanges() {
    }

    /**
     * The changed ranges of {@code m} between its snapshots {@code from} and {@code to}, within
     * {@code [start, start + length)} (clipped to the volume), at most {@code limit} ranges.
     *
     * @throws VolumeNotFoundException  if a snapshot does not exist
     * @throws IllegalArgumentException if {@code from} is not older than {@code to}, or the window is
     *                                  misaligned, empty or wider than {@link #MAX_WINDOW_CLUSTERS}
     */
    static ChangedRanges between(VolumeContext ctx, VolumeManifest m, String from, String to, long start, long length,
                                 int limit) {
        List<Long> tlogs = tlogsBetween(m, from, to);
        int clusterSize = m.config().clusterSize();
        long end = Math.min(m.config().sizeBytes(), start + length);
        if (start < 0 || length <= 0 || start % clusterSize != 0 || start >= m.config().sizeBytes()) {
            throw new IllegalArgumentException("window start " + start + ", length " + length + " is not a cluster-aligned"
                    + " range inside the volume (" + m.config().sizeBytes() + " bytes, clusters of " + clusterSize + ")");
        }
        if (limit <= 0) {
            throw new IllegalArgumentException("limit " + limit + " must be positive");
        }
        long first = start / clusterSize;
        long last = (end + clusterSize - 1) / clusterSize; // exclusive
        if (last - first > MAX_WINDOW_CLUSTERS) {
            throw new IllegalArgumentException("a window of " + (last - first) + " clusters is wider than "
                    + MAX_WINDOW_CLUSTERS + ": ask for a smaller length and page through the volume");
        }
        TreeMap<Long, long[]> regions = new TreeMap<>();
        String ns = m.config().namespace();
        for (long t : tlogs) {
            TLogReader.replaySealed(History.load(ctx, ns, t), ns + "/" + NamespaceLayout.tlogKey(t), new TLogVisitor() {
                @Override
                public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                    if (lba >= first && lba < last) {
                        long[] bits = regions.computeIfAbsent(lba / REGION_CLUSTERS, r -> new long[REGION_CLUSTERS / 64]);
                        int i = (int) (lba % REGION_CLUSTERS);
                        bits[i >>> 6] |= 1L << (i & 63);
                    }
                }

                @Override
                public void hydrated(long lba, long location, long fpHi, long fpLo, int dataCrc) {
                    // a copy of what the clone read from its parent: the clone reads the same bytes
                }
            });
        }
        return runs(m.name(), from, to, clusterSize, regions, limit);
    }

    /** The TLogs of the snapshots after {@code from} up to and including {@code to}. */
    static List<Long> tlogsBetween(VolumeManifest m, String from, String to) {
        List<VolumeManifest.Snapshot> snaps = m.snapshots();
        int f = indexOf(snaps, m.name(), from);
        int t = indexOf(snaps, m.name(), to);
        if (f >= t) {
            throw new IllegalArgumentException("snapshot '" + from + "' is not older than snapshot '" + to
                    + "' of volume '" + m.name() + "'");
        }
        List<Long> out = new ArrayList<>();
        for (int i = f + 1; i <= t; i++) {
            out.addAll(snaps.get(i).tlogs());
        }
        return out;
    }

    private static int indexOf(List<VolumeManifest.Snapshot> snaps, String volume, String name) {
        for (int i = 0; i < snaps.size(); i++) {
            if (snaps.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new VolumeNotFoundException("volume '" + volume + "' has no snapshot '" + name + "'");
    }

    private static ChangedRanges runs(String volume, String from, String to, int clusterSize,
                                      TreeMap<Long, long[]> regions, int limit) {
        List<ChangedRanges.Range> out = new ArrayList<>();
        long runStart = -1;
        long runEnd = -1;
        for (Map.Entry<Long, long[]> e : regions.entrySet()) {
            long base = e.getKey() * REGION_CLUSTERS;
            long[] bits = e.getValue();
            for (int w = 0; w < bits.length; w++) {
                long word = bits[w];
                while (word != 0) {
                    int b = Long.numberOfTrailingZeros(word);
                    word &= word - 1;
                    long lba = base + ((long) w << 6) + b;
                    if (lba == runEnd) {
                        runEnd++;
                        continue;
                    }
                    if (runStart >= 0) {
                        if (out.size() == limit) {
                            return new ChangedRanges(volume, from, to, clusterSize, out, runStart * clusterSize);
                        }
                        out.add(new ChangedRanges.Range(runStart * clusterSize, (runEnd - runStart) * clusterSize));
                    }
                    runStart = lba;
                    runEnd = lba + 1;
                }
            }
        }
        if (runStart >= 0) {
            if (out.size() == limit) {
                return new ChangedRanges(volume, from, to, clusterSize, out, runStart * clusterSize);
            }
            out.add(new ChangedRanges.Range(runStart * clusterSize, (runEnd - runStart) * clusterSize));
        }
        return new ChangedRanges(volume, from, to, clusterSize, out, -1);
    }
}
