package io.scoria.accelerator.volume;

import io.scoria.accelerator.HydrationStep;
import io.scoria.accelerator.VolumeInfo;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.sco.ClusterLocation;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hydration of one clone: copies the clusters the clone still reads from its parent chain (map
 * entries of depth &gt; 0) into its own history, as appends of the same bytes with the same
 * fingerprint and CRC, so readers see no change (logged as HYDRATED records, which changed ranges between
 * snapshots skip: an incremental backup does not copy them again). A step first notes the inherited clusters of a
 * window and their locations, reads them (through the read path: cluster cache, read-ahead, backend),
 * then, under the volume's append lock, appends each one whose map entry still holds the location
 * noted: a write of the clone in between replaced it with a location of depth 0, which never turns
 * back into an inherited one while the structure lock is held shared, so the clone's own writes
 * always win. Also knows whether the clone is {@link VolumeInfo#INDEPENDENT} (nothing inherited).
 *
 * <p>Threads and locks: callers hold the volume's structure lock shared ({@link #forget}: exclusively);
 * steps, state checks and {@link #forget} are serialised on this object; a step takes the append
 * lock inside. The step buffer is this object's, used only inside a step.
 */
final class CloneHydration {
    /** Bytes one step reads and appends at most. */
    static final int STEP_BYTES = 1 << 20;
    /** Clusters one step looks at at most (map lookups only), so a step over a mostly own clone stays short. */
    static final int SCAN_WINDOW = 1 << 16;

    private final VolumeLog log;
    private final RangeReader reader;
    private final int clusterSize;
    private final LbaEntry probe = new LbaEntry();
    private final long[] lbas;
    private final long[] locations;
    private ByteBuffer data;
    /** Cached result of {@link #inherited}{@code == 0}; null: not known. */
    private Boolean independent;

    CloneHydration(VolumeLog log, RangeReader reader, int clusterSize) {
        this.log = log;
        this.reader = reader;
        this.clusterSize = clusterSize;
        int most = STEP_BYTES / clusterSize;
        this.lbas = new long[most];
        this.locations = new long[most];
    }

    /** Copies up to {@code max} inherited clusters from {@code from} on (see {@link HydrationStep}). */
    synchronized HydrationStep step(long from, int max, long clusters, ReentrantLock append) {
        int most = Math.min(max, lbas.length);
        int n = 0;
        long lba = from;
        long scanEnd = Math.min(clusters, from + SCAN_WINDOW);
        for (; lba < scanEnd && n < most; lba++) {
            log.map().get(lba, probe);
            if (fromParent(probe.location)) {
                lbas[n] = lba;
                locations[n] = probe.location;
                n++;
            }
        }
        if (n == 0) {
            return new HydrationStep(lba, clusters, 0, 0);
        }
        if (data == null) {
            data = ByteBuffer.allocateDirect(STEP_BYTES);
        }
        readRuns(n);
        int copied = 0;
        append.lock();
        try {
            for (int i = 0; i < n; i++) {
                log.map().get(lbas[i], probe);
                if (probe.location != locations[i]) {
                    continue; // the clone wrote (or trimmed) it meanwhile: its write wins
                }
                ByteBuffer c = data.duplicate().limit((i + 1) * clusterSize).position(i * clusterSize);
                log.appendHydrated(lbas[i], c, probe.fpHi, probe.fpLo, probe.crc);
                copied++;
            }
        } finally {
            append.unlock();
        }
        independent = null;
        return new HydrationStep(lba, clusters, copied, n - copied);
    }

    /** Reads the {@code n} noted clusters into the step buffer, one read per run of consecutive LBAs. */
    private void readRuns(int n) {
        int i = 0;
        while (i < n) {
            int j = i + 1;
            while (j < n && lbas[j] == lbas[j - 1] + 1) {
                j++;
            }
            ByteBuffer dst = data.duplicate().limit(j * clusterSize).position(i * clusterSize);
            reader.read(lbas[i] * clusterSize, dst);
            i = j;
        }
    }

    /** Clusters of {@code [0, clusters)} the clone still reads from its parent chain. */
    synchronized long inherited(long clusters) {
        LbaEntry e = new LbaEntry();
        long count = 0;
        for (long lba = 0; lba < clusters; lba++) {
            log.map().get(lba, e);
            if (fromParent(e.location)) {
                count++;
            }
        }
        independent = count == 0;
        return count;
    }

    /**
     * {@link VolumeInfo#THIN} or {@link VolumeInfo#INDEPENDENT}; looks the map up once (until the first
     * inherited cluster: at once for a thin clone, the whole volume only for one that is independent), then
     * kept until a step or {@link #forget}. It was a full count before: 5 million look-ups (3 s) for every
     * 20 GiB clone the first time anyone asked for its details.
     */
    synchronized String state(long clusters) {
        Boolean b = independent;
        if (b == null) {
            b = !anyInherited(clusters);
            independent = b;
        }
        return b ? VolumeInfo.INDEPENDENT : VolumeInfo.THIN;
    }

    private boolean anyInherited(long clusters) {
        if (log.map().entries() == 0 && !log.map().layered()) {
            return false;
        }
        LbaEntry e = new LbaEntry();
        for (long lba = 0; lba < clusters; lba++) {
            log.map().get(lba, e);
            if (fromParent(e.location)) {
                return true;
            }
        }
        return false;
    }

    /** After a reset or rollback: the clone may read from its parent again. */
    synchronized void forget() {
        independent = null;
    }

    private static boolean fromParent(long location) {
        return location != ClusterLocation.ZERO && ClusterLocation.depth(location) > 0;
    }
}
