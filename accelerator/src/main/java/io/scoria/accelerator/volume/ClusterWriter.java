package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.dedup.ClusterCache;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.sco.ClusterLocation;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The write path of one volume: splits a write, trim or zero-write into clusters
 * (read-modify-write for partial ones, head and tail read before anything changes), detects zero
 * clusters, fingerprints (XXH3-128) and checksums the others, appends them to the
 * {@link VolumeLog} (runs of full clusters with one SCO append) and offers them to the cluster
 * cache in {@code CACHE_ON_WRITE} mode.
 *
 * <p>Not thread-safe: the caller ({@link LocalVolume}) holds the volume's append lock (and the
 * structure lock shared) around {@link #write}; one scratch, no allocation per write. Buffers:
 * {@code src} stays the caller's; neither its position nor its limit changes.
 */
final class ClusterWriter {
    /** Full clusters of one write appended to the SCO with one {@code pwrite} at most. */
    private static final int RUN = 64;

    private final VolumeContext ctx;
    private final VolumeLog log;
    private final RangeReader reader;
    private final int clusterSize;
    private final Scratch s;
    /** One zero cluster, only compared against (never read through: its position stays 0). */
    private final ByteBuffer zeroCluster;

    private static final class Scratch {
        final LbaEntry entry = new LbaEntry();
        final ByteBuffer cluster;
        final ByteBuffer head;
        final ByteBuffer tail;
        final long[] fp = new long[2];
        final CRC32C crc = new CRC32C();
        final long[] runHi = new long[RUN];
        final long[] runLo = new long[RUN];
        final int[] runCrc = new int[RUN];

        Scratch(int clusterSize) {
            cluster = ByteBuffer.allocateDirect(clusterSize);
            head = ByteBuffer.allocateDirect(clusterSize);
            tail = ByteBuffer.allocateDirect(clusterSize);
        }
    }

    ClusterWriter(VolumeContext ctx, VolumeLog log, RangeReader reader, int clusterSize) {
        this.ctx = ctx;
        this.log = log;
        this.reader = reader;
        this.clusterSize = clusterSize;
        this.s = new Scratch(clusterSize);
        this.zeroCluster = RangeReader.ZEROS.duplicate().limit(clusterSize);
    }

    /** Writes {@code src} (null: zeros) over {@code [offset, offset + length)}, a range already checked. */
    void write(long offset, long length, ByteBuffer src) {
        long end = offset + length;
        long firstLba = offset / clusterSize;
        long lastLba = length == 0 ? firstLba : (end - 1) / clusterSize;
        // read the partial head and tail clusters first, so a failing read changes nothing
        if (length > 0 && (offset % clusterSize != 0 || (firstLba == lastLba && end % clusterSize != 0))) {
            reader.readCluster(firstLba, s.head.clear());
        }
        if (lastLba != firstLba && end % clusterSize != 0) {
            reader.readCluster(lastLba, s.tail.clear());
        }
        long pos = offset;
        int srcPos = src == null ? 0 : src.position();
        // one view of src per write with a full cluster (not per cluster): full clusters are appended
        // straight from it, without a copy into scratch
        ByteBuffer view = src != null && length >= clusterSize ? src.duplicate() : null;
        while (pos < end) {
            long lba = pos / clusterSize;
            int in = (int) (pos % clusterSize);
            int n = (int) Math.min(clusterSize - in, end - pos);
            if (n == clusterSize && src == null) {
                writeZero(lba);
            } else if (n == clusterSize && view != null) {
                int k = writeRun(lba, view, srcPos + (int) (pos - offset), (int) Math.min(RUN, (end - pos) / clusterSize));
                if (k == 0) {
                    writeZero(lba);
                } else {
                    pos += (long) k * clusterSize;
                    continue;
                }
            } else {
                ByteBuffer c = s.cluster.clear();
                if (n != clusterSize) {
                    c.put((lba == firstLba ? s.head : s.tail).clear());
                    c.clear().position(in);
                }
                if (src == null) {
                    c.put(RangeReader.ZEROS.duplicate().limit(n));
                } else {
                    int from = srcPos + (int) (pos - offset);
                    // absolute bulk copy: neither src's position nor a view of it
                    c.put(c.position(), src, from, n).position(c.position() + n);
                }
                c.clear();
                writeCluster(lba, c);
            }
            pos += n;
        }
    }

    /**
     * Writes the leading non-zero full clusters (at most {@code max}) of {@code view} from
     * {@code from} with one SCO append; returns how many (0: the first cluster is zero).
     */
    private int writeRun(long lba, ByteBuffer view, int from, int max) {
        int k = 0;
        while (k < max) {
            int at = from + k * clusterSize;
            view.limit(at + clusterSize).position(at);
            if (view.mismatch(zeroCluster) == -1) {
                break;
            }
            ctx.config().fingerprinter().fingerprint(view, s.fp);
            s.runHi[k] = s.fp[0];
            s.runLo[k] = s.fp[1];
            s.crc.reset();
            s.crc.update(view);
            s.runCrc[k] = (int) s.crc.getValue();
            k++;
        }
        if (k == 0) {
            return 0;
        }
        view.limit(from + k * clusterSize).position(from);
        log.appendRun(lba, view, k, s.runHi, s.runLo, s.runCrc);
        CacheMode cacheMode = reader.cacheMode();
        if (cacheMode == CacheMode.CACHE_ON_WRITE && reader.cacheUsable(cacheMode)) {
            ClusterCache cache = ctx.clusterCache();
            for (int i = 0; i < k; i++) {
                view.limit(from + (i + 1) * clusterSize).position(from + i * clusterSize);
                cache.insert(s.runHi[i], s.runLo[i], s.runCrc[i], view);
            }
        }
        return k;
    }

    private void writeZero(long lba) {
        log.map().get(lba, s.entry);
        if (s.entry.location == ClusterLocation.ZERO) {
            return;
        }
        log.append(lba, RangeReader.ZEROS.duplicate().limit(clusterSize), true, 0, 0, 0);
    }

    private void writeCluster(long lba, ByteBuffer c) {
        if (c.mismatch(zeroCluster) == -1) {
            writeZero(lba);
            return;
        }
        ctx.config().fingerprinter().fingerprint(c, s.fp);
        s.crc.reset();
        int start = c.position();
        s.crc.update(c);
        c.position(start);
        int crc = (int) s.crc.getValue();
        log.append(lba, c, false, s.fp[0], s.fp[1], crc);
        CacheMode cacheMode = reader.cacheMode();
        if (cacheMode == CacheMode.CACHE_ON_WRITE && reader.cacheUsable(cacheMode)) {
            ClusterCache cache = ctx.clusterCache();
            cache.insert(s.fp[0], s.fp[1], crc, c);
        }
    }
}
