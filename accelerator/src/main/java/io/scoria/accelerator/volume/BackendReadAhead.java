package io.scoria.accelerator.volume;


import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * Coalesces one volume's cold reads from backend SCOs, so that a sequential cold read costs
 * about one ranged GET per window ({@code readAhead}, default 1 MiB) while a random cold read of
 * one cluster stays one ranged GET of that cluster (the caller's own path, {@link ClusterReader}).
 *
 * <p>A miss is served here when a range the node fetched holds it ({@link FetchedRanges}, shared
 * by every volume of the node, so clones of one template share their fetches), or when the access
 * is sequential (it starts where this volume's previous backend read of the same SCO ended): then
 * the whole window around it is fetched, the {@code readAhead}-aligned range of the SCO, so that
 * through the distributor it is one mega-block of one data fragment; or when the request goes on
 * over clusters at the next offsets of the same SCO ({@code runBytes}): then those, up to the
 * window's end, are fetched in one GET. A fetch that fails leaves the read to the caller, whose
 * retries and messages apply.
 *
 * <p>Thread-safe: this volume's sequence state under this object's lock; fetches in
 * {@link FetchedRanges}.
 */
final class BackendReadAhead {
    private final FetchedRanges ranges;
    private final int window;
    private final int scoBytes;
    private String lastNs;
    private long lastSco;
    private long lastEnd = -1;

    /**
     * @param ranges    the node's fetched ranges
     * @param readAhead the window in bytes; 0 turns coalescing off
     * @param scoBytes  the volume's SCO size (no SCO is longer)
     */
    BackendReadAhead(FetchedRanges ranges, int readAhead, int scoBytes) {
        this.ranges = ranges;
        this.window = readAhead;
        this.scoBytes = scoBytes;
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code pos} of SCO {@code scoId} of {@code ns}
     * into {@code dst} (position advanced) if a kept range holds them or the access qualifies
     * for a coalesced fetch; returns false, with {@code dst} untouched, when the caller must read
     * them itself.
     *
     * @param runBytes asked only when needed: the bytes the same request reads from this SCO
     *                 from {@code pos} on, contiguous (at least {@code dst.remaining()})
     */
    boolean read(String ns, long scoId, long pos, ByteBuffer dst, LongSupplier runBytes) {
        int length = dst.remaining();
        if (window <= length) {
            return false;
        }
        boolean sequential;
        synchronized (this) {
            sequential = scoId == lastSco && pos == lastEnd && ns.equals(lastNs);
            lastNs = ns;
            lastSco = scoId;
            lastEnd = pos + length;
        }
        if (ranges.copyIfKept(ns, scoId, pos, dst)) {
            return true;
        }
        long windowStart = pos - pos % window;
        long windowEnd = Math.min(windowStart + window, scoBytes);
        if (sequential) {
            return ranges.fetchAndCopy(ns, scoId, windowStart, windowEnd, pos, dst);
        }
        long run = runBytes.getAsLong();
        if (run <= length) {
            return false;
        }
        return ranges.fetchAndCopy(ns, scoId, pos, Math.min(pos + run, windowEnd), pos, dst);
    }
}
