package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.sco.ClusterLocation;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The read path of one volume: splits a byte range into clusters, looks each up in the LBA map
 * and reads it (zeros for an unwritten cluster, else through {@link ClusterReader}: cluster
 * cache, local SCO, backend); a partial cluster is read whole into a scratch buffer first. Also
 * reads the partial head and tail clusters of a write ({@link ClusterWriter}). Holds the volume's
 * cache mode.
 *
 * <p>Thread-safe and lock-free: reads run in parallel with each other and with writes; the
 * caller ({@link LocalVolume}) holds the structure lock shared. One scratch per thread, no
 * allocation per read. Buffers: {@code dst} stays the caller's; its position advances.
 */
final class RangeReader {
    /** Zeros, never written through: read by duplicates only. */
    static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(65536).asReadOnlyBuffer();

    private final MapView log;
    private final int clusterSize;
    private final ClusterReader reader;
    private final ThreadLocal<Scratch> scratch;
    private volatile CacheMode cacheMode;

    /** Per-thread state of one read; also tells the cluster reader which clusters the read takes next. */
    private final class Scratch implements ClusterReader.Followers {
        final LbaEntry entry = new LbaEntry();
        final LbaEntry probe = new LbaEntry();
        final ByteBuffer cluster;
        /** The LBA after the cluster being read, and how many clusters the read takes from there. */
        long nextLba;
        long clustersAfter;

        Scratch(int clusterSize) {
            cluster = ByteBuffer.allocateDirect(clusterSize);
        }

        @Override
        public int contiguousAfter(long location, int max) {
            int offset = ClusterLocation.offset(location);
            int n = 0;
            while (n < max && n < clustersAfter && offset + n + 1 <= ClusterLocation.MAX_OFFSET) {
                log.map().get(nextLba + n, probe);
                if (probe.location != location + n + 1) {
                    break;
                }
                n++;
            }
            return n;
        }
    }

    /** A reader of volume {@code namespace} (whose policy decides whether the cluster cache is used). */
    RangeReader(VolumeContext ctx, MapView log, String namespace, int clusterSize, int scoSize, CacheMode mode) {
        this.log = log;
        this.clusterSize = clusterSize;
        this.reader = new ClusterReader(ctx, clusterSize, scoSize, ctx.scoCipher(namespace) != null);
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(clusterSize));
        this.cacheMode = mode;
    }

    CacheMode cacheMode() {
        return cacheMode;
    }

    void cacheMode(CacheMode mode) {
        this.cacheMode = Objects.requireNonNull(mode, "mode");
    }

    /** The cluster reader, whose cache hits and misses are this volume's. */
    ClusterReader clusterReader() {
        return reader;
    }

    /** True if written clusters go to the cluster cache in mode {@code mode}. */
    boolean cacheUsable(CacheMode mode) {
        return reader.cacheUsable(mode);
    }

    /** Reads {@code dst.remaining()} bytes from {@code offset} (range already checked) into {@code dst}. */
    void read(long offset, ByteBuffer dst) {
        Scratch s = scratch.get();
        long pos = offset;
        long end = offset + dst.remaining();
        while (pos < end) {
            long lba = pos / clusterSize;
            int in = (int) (pos % clusterSize);
            int n = (int) Math.min(clusterSize - in, end - pos);
            s.nextLba = lba + 1;
            s.clustersAfter = (end - (pos + n) + clusterSize - 1) / clusterSize;
            if (in == 0 && n == clusterSize) {
                readCluster(lba, s, dst);
            } else {
                s.cluster.clear();
                readCluster(lba, s, s.cluster);
                dst.put(s.cluster.position(in).limit(in + n));
            }
            pos += n;
        }
    }

    /** Reads cluster {@code lba} whole into {@code dst} (at least one cluster remaining). */
    void readCluster(long lba, ByteBuffer dst) {
        Scratch s = scratch.get();
        s.clustersAfter = 0;
        readCluster(lba, s, dst);
    }

    private void readCluster(long lba, Scratch s, ByteBuffer dst) {
        log.map().get(lba, s.entry);
        if (s.entry.location == ClusterLocation.ZERO) {
            dst.put(ZEROS.duplicate().limit(clusterSize));
            return;
        }
        int limit = dst.limit();
        dst.limit(dst.position() + clusterSize);
        try {
            reader.read(log.chain(), s.entry, cacheMode, dst, s);
        } finally {
            dst.limit(limit);
        }
    }
}
