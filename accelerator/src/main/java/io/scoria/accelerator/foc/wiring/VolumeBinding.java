package io.scoria.accelerator.foc.wiring;

import io.scoria.accelerator.foc.FailoverCache;
import io.scoria.accelerator.foc.ScoTags;
import io.scoria.sco.ClusterLocation;

import java.nio.ByteBuffer;

/**
 * One open volume's link to its {@link FailoverCache}: turns the engine's write hook into FOC
 * entries and the engine's "SCO on backend" events into removals.
 *
 * <p>FOC entries are not tagged with the engine's SCO numbers but with <em>tags</em>: a 63-bit
 * counter that starts, for each open, at {@link ScoTags#firstOfOpen} of the time of the open and grows by
 * one whenever the engine starts writing into another SCO. Engine SCO numbers may be reused after
 * local flash was lost (they restart after the highest one on the backend) while the FOC still
 * holds entries of the lost SCOs; tags never go back, so the FOC's replay order (tag, then add
 * order) is always write order, and its removal watermark never refuses a new entry.
 *
 * <p>Removal: when engine SCO {@code k} (seen by this open, tag {@code t}) is on the backend with the
 * TLog naming it, every record appended before SCO {@code k} was sealed is on the backend too
 * (TLogs upload in order), which covers every entry with a tag below {@code t} (including zero
 * clusters, which have no SCO and carry the tag of the SCO being written); so the FOC removes up to
 * {@code t - 1}. Until a SCO written after a replay is on the backend, nothing is removed, so the
 * replayed entries stay protected.
 *
 * <p>Thread-safety: {@link #onWrite} runs under the engine's volume write lock (one writer at a
 * time) and never waits on the network; {@link #onScoOnBackend} runs on the upload thread. Tag
 * changes and the SCO→tag ring are guarded by {@code this}, which is never held while waiting for
 * the FOC; no allocation per cluster.
 */
final class VolumeBinding {
    /** 2024-01-01T00:00:00Z in ms, where {@link ScoTags} count from. */
    static final long TAG_EPOCH_BASE_MS = ScoTags.BASE_MILLIS;

    private final String name;
    private final FailoverCache cache;
    private final int clusterSize;
    private final long tagBase;
    private long[] ringSco = new long[64];
    private long[] ringTag = new long[64];
    private int ringHead;
    private int ringSize;
    private long lastSco = -1;
    private volatile long tag;
    private volatile long lastSeq;
    private volatile boolean replaying;
    private long minRemovable;
    private long removedUpTo = -1;
    /** Serialises the removals sent to the cache (they are sent outside {@code this}'s monitor). */
    private final Object removals = new Object();

    VolumeBinding(String name, FailoverCache cache, int clusterSize, long ownerEpoch) {
        this.name = name;
        this.cache = cache;
        this.clusterSize = clusterSize;
        this.tagBase = ScoTags.firstOfOpen(System.currentTimeMillis());
        this.tag = tagBase;
        this.minRemovable = tagBase;
    }

    String name() {
        return name;
    }

    FailoverCache cache() {
        return cache;
    }

    int clusterSize() {
        return clusterSize;
    }

    /** Sequence number of the last entry added (0: none). */
    long lastSeq() {
        return lastSeq;
    }

    long currentTag() {
        return tag;
    }

    /** The first tag of this open: entries of earlier opens and owners have lower tags. */
    long tagBase() {
        return tagBase;
    }

    /** While replaying, writes are applied to the engine but not sent to the FOC (it has them already). */
    synchronized void replaying(boolean on) {
        replaying = on;
        if (!on) {
            minRemovable = Math.max(minRemovable, tag);
        }
    }

    void onWrite(long lba, long location, ByteBuffer cluster) {
        if (location != ClusterLocation.ZERO) {
            long sco = ClusterLocation.scoNumber(location);
            if (sco != lastSco) {
                newSco(sco);
            }
        }
        if (replaying) {
            return;
        }
        int offset = location == ClusterLocation.ZERO ? 0 : ClusterLocation.offset(location);
        int version = location == ClusterLocation.ZERO ? 0 : ClusterLocation.version(location);
        lastSeq = cache.add(lba, tag, offset, version, cluster);
    }

    private synchronized void newSco(long sco) {
        lastSco = sco;
        long t = tag + 1;
        if (ringSize == ringSco.length) {
            long[] s = new long[ringSco.length * 2];
            long[] g = new long[ringTag.length * 2];
            for (int i = 0; i < ringSize; i++) {
                s[i] = ringSco[(ringHead + i) % ringSco.length];
                g[i] = ringTag[(ringHead + i) % ringTag.length];
            }
            ringSco = s;
            ringTag = g;
            ringHead = 0;
        }
        int at = (ringHead + ringSize) % ringSco.length;
        ringSco[at] = sco;
        ringTag[at] = t;
        ringSize++;
        tag = t;
    }

    /**
     * Engine SCO {@code sco} and the TLog naming it are on the backend. The removal is sent, and its
     * reply awaited, outside this object's monitor: {@link #onWrite} takes the monitor under the
     * volume's write lock when the engine moves to a new SCO, so waiting for the FOC under it would
     * stall every write of the volume for a round trip plus the server's fsyncs.
     */
    void onScoOnBackend(long sco) {
        long upTo;
        synchronized (this) {
            long found = -1;
            while (ringSize > 0 && ringSco[ringHead] <= sco) {
                if (ringSco[ringHead] == sco) {
                    found = ringTag[ringHead];
                }
                ringHead = (ringHead + 1) % ringSco.length;
                ringSize--;
            }
            if (found < 0) {
                return; // a SCO written before this open: its entries stay until one of ours is on the backend
            }
            upTo = found - 1;
            if (upTo < minRemovable || upTo <= removedUpTo) {
                return;
            }
            removedUpTo = upTo;
        }
        synchronized (removals) { // one removal at a time; the cache ignores one that does not advance
            cache.removeUpTo(upTo);
        }
    }

    /**
     * After a rollback or reset whose kept history is on the backend: every entry so far is obsolete
     * (the discarded writes must never be replayed). The caller guarantees that no write runs.
     */
    void dropAll() {
        long t;
        synchronized (this) {
            t = tag;
            tag = t + 1;
            lastSco = -1;
            ringSize = 0;
            ringHead = 0;
            minRemovable = Math.max(minRemovable, t);
            if (t <= removedUpTo) {
                return;
            }
            removedUpTo = t;
        }
        synchronized (removals) {
            cache.removeUpTo(t);
        }
    }
}
