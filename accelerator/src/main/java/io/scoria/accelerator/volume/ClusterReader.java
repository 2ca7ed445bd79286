package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.VolumeException;
import io.scoria.accelerator.metadata.LbaEntry;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.CorruptDataException;
import io.scoria.sco.ClusterLocation;
import io.scoria.sco.NamespaceLayout;
import io.scoria.sco.cache.ScoFileCipher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32C;

/**
 * The read path of one cluster (DESIGN.md): cluster cache by fingerprint → SCO file on local
 * flash → ranged backend read of that cluster, coalesced with the clusters read next
 * ({@link BackendReadAhead}) → insert into the cluster cache. Every
 * byte that does not come from the cache is checked against the data CRC the LBA map holds.
 * Local SCO files of encrypted volumes are decrypted as read ({@link ScoFileCipher}); an encrypted
 * volume does not use the node's cluster cache, which is shared by all volumes and holds clusters
 * in the clear (accelerator/ARCHITECTURE.md, "Local flash of encrypted volumes").
 * Thread-safe; allocation-free except on the backend path.
 */
final class ClusterReader {
    private static final int BACKEND_ATTEMPTS = 3;

    private final VolumeContext ctx;
    private final int clusterSize;
    private final BackendReadAhead readAhead;
    /** The volume is encrypted: its clusters stay out of the shared cluster cache. */
    private final boolean encrypted;
    private final ThreadLocal<CRC32C> crcs = ThreadLocal.withInitial(CRC32C::new);
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder cacheMisses = new LongAdder();

    /** Counts the clusters after the one being read that the same request reads from the next offsets of its SCO. */
    @FunctionalInterface
    interface Followers {
        /** How many (at most {@code max}) clusters after this one the request reads at {@code location}+1, +2, ... */
        int contiguousAfter(long location, int max);

        Followers NONE = (location, max) -> 0;
    }

    ClusterReader(VolumeContext ctx, int clusterSize, int scoSize, boolean encrypted) {
        this.ctx = ctx;
        this.encrypted = encrypted;
        this.clusterSize = clusterSize;
        this.readAhead = new BackendReadAhead(ctx.fetchedRanges(), ctx.config().readAheadBytes(), scoSize);
    }

    /** Clusters read from the cluster cache since this reader was made. */
    long cacheHits() {
        return cacheHits.sum();
    }

    /** Cluster cache look-ups that missed since this reader was made. */
    long cacheMisses() {
        return cacheMisses.sum();
    }

    boolean cacheUsable(CacheMode mode) {
        return mode != CacheMode.NO_CACHE && !encrypted && ctx.clusterCache().slotSize() == clusterSize;
    }

    /**
     * Reads the cluster {@code e} describes into {@code dst} (exactly one cluster remaining;
     * position advanced). From the backend, the clusters the request reads next from the same SCO
     * ({@code followers}) are fetched with it ({@link BackendReadAhead}).
     */
    void read(List<String> chain, LbaEntry e, CacheMode mode, ByteBuffer dst, Followers followers) {
        boolean cache = cacheUsable(mode);
        if (cache) {
            if (ctx.clusterCache().read(e.fpHi, e.fpLo, e.crc, dst)) {
                cacheHits.increment();
                return;
            }
            cacheMisses.increment();
        }
        int depth = ClusterLocation.depth(e.location);
        if (depth >= chain.size()) {
            throw new CorruptDataException("location " + ClusterLocation.toString(e.location) + " is deeper than the clone chain "
                    + chain);
        }
        String ns = chain.get(depth);
        long scoId = ClusterLocation.scoId(e.location);
        long pos = (long) ClusterLocation.offset(e.location) * clusterSize;
        int start = dst.position();
        boolean verified = false;
        boolean localMismatch = false;
        if ((ctx.scoCache().touch(ns, scoId) || depth == 0)
                && readLocal(ctx.scoCache().file(ns, scoId), ctx.scoCipher(ns), scoId, pos, dst)) {
            verified = matches(e, dst, start);
            if (!verified) {
                // The SCO was evicted between the lookup and the read, and its file recycled for a new
                // SCO (LocalScoCache), or a power loss left an uploaded SCO's local copy (never forced)
                // with other bytes: either way the SCO is on the backend, so read it from there.
                dst.position(start);
                localMismatch = true;
            }
        }
        if (!verified) {
            try {
                long location = e.location;
                int most = Math.max(0, ctx.config().readAheadBytes() / clusterSize - 1);
                if (!readAhead.read(ns, scoId, pos, dst,
                        () -> (1L + followers.contiguousAfter(location, most)) * clusterSize)) {
                    readBackend(ns, scoId, pos, dst);
                } else if (!matches(e, dst, start)) {
                    // A range the node fetched earlier holds other bytes for this SCO: the namespace was
                    // deleted and made again since (SCO numbers start over), here or on another router.
                    // The backend's object is the truth: drop what the node kept of the SCO, read it again.
                    ctx.fetchedRanges().forget(ns, scoId);
                    dst.position(start);
                    readBackend(ns, scoId, pos, dst);
                }
            } catch (VolumeException ex) {
                if (localMismatch) {
                    throw new CorruptDataException("cluster at " + ClusterLocation.toString(e.location) + " of namespace " + ns
                            + " fails its CRC32C check in the local SCO file, and the backend cannot serve it: " + ex.getMessage());
                }
                throw ex;
            }
            check(e, dst, start, ns);
        }
        if (cache) {
            ctx.clusterCache().insert(e.fpHi, e.fpLo, e.crc, dst.duplicate().limit(start + clusterSize).position(start));
        }
    }

    private boolean readLocal(Path file, ScoFileCipher cipher, long scoId, long pos, ByteBuffer dst) {
        int start = dst.position();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (cipher != null) {
                return cipher.readData(ch, file, scoId, pos, dst);
            }
            if (ch.size() < pos + clusterSize) {
                return false;
            }
            while (dst.hasRemaining()) {
                if (ch.read(dst, pos + dst.position() - start) < 0) {
                    dst.position(start);
                    return false;
                }
            }
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            dst.position(start);
            return false;
        }
    }

    private void readBackend(String ns, long scoId, long pos, ByteBuffer dst) {
        String key = NamespaceLayout.scoKey(scoId);
        int start = dst.position();
        RuntimeException last = null;
        for (int attempt = 0; attempt < BACKEND_ATTEMPTS; attempt++) {
            try {
                ctx.store().read(ns, key, pos, dst);
                return;
            } catch (BackendUnavailableException ex) {
                last = ex;
                dst.position(start);
                try {
                    Thread.sleep(10L << attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            } catch (RuntimeException ex) {
                dst.position(start);
                throw new VolumeException("cannot read " + ns + "/" + key + " at " + pos + " from " + ctx.store().name() + ": "
                        + ex.getMessage(), ex);
            }
        }
        throw new VolumeException("backend " + ctx.store().name() + " unavailable reading " + ns + "/" + key + ": "
                + (last == null ? "interrupted" : last.getMessage()), last);
    }

    private boolean matches(LbaEntry e, ByteBuffer dst, int start) {
        CRC32C c = crcs.get();
        c.reset();
        c.update(dst.duplicate().limit(start + clusterSize).position(start));
        return (int) c.getValue() == e.crc;
    }

    private void check(LbaEntry e, ByteBuffer dst, int start, String ns) {
        if (!matches(e, dst, start)) {
            dst.position(start);
            throw new CorruptDataException("cluster at " + ClusterLocation.toString(e.location) + " of namespace " + ns
                    + " fails its CRC32C check");
        }
    }
}
