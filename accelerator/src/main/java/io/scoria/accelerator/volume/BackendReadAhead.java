package io.scoria.accelerator.volume;

import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * Coalesces one volume's cold reads from backend SCOs, so that a sequential cold read costs
 * about one ranged GET per window ({@code readAhead}, default 1 MiB) while a random cold read of
 * one cluster stays one ranged GET of that cluster (the caller's own path, {@link ClusterReader}).
 *
 * <p>A miss is served here when the access is sequential (it starts where this volume's previous
 * backend read of the same SCO ended), then the whole window around it is fetched: the
 * {@code readAhead}-aligned range of the SCO, so that through the distributor it is one
 * mega-block of one data fragment; or when the request goes on over clusters at the next
 * offsets of the same SCO ({@code runBytes}), then those, up to the window's end, are fetched
 * in one GET. Fetched ranges are kept in two slots (least recently used replaced) for the next
 * clusters. A range that passes the end of a short SCO (sealed before it was full) is fetched
 * again up to the end the store reports. A fetch that fails leaves the read to the caller,
 * whose retries and messages apply.
 *
 * <p>Thread-safe: look-ups and slot changes under this object's lock; fetches run outside it,
 * and concurrent readers of one range wait for the one fetch. Memory: at most two ranges of
 * {@code readAhead} bytes on the heap, allocated on the first coalesced fetch.
 */
final class BackendReadAhead {
    private static final int SLOTS = 2;

    private final ObjectStore store;
    private final int window;
    private final int scoBytes;
    private final Range[] slots = new Range[SLOTS];
    private final Map<RangeKey, CompletableFuture<Range>> inFlight = new HashMap<>();
    private long clock;
    private String lastNs;
    private long lastSco;
    private long lastEnd = -1;

    private record RangeKey(String ns, long scoId, long start) {
    }

    private static final class Range {
        final String ns;
        final long scoId;
        final long start;
        final ByteBuffer data;
        long lastUse;

        Range(String ns, long scoId, long start, ByteBuffer data) {
            this.ns = ns;
            this.scoId = scoId;
            this.start = start;
            this.data = data;
        }

        boolean covers(String n, long sco, long pos, int length) {
            return scoId == sco && ns.equals(n) && pos >= start && pos + length <= start + data.limit();
        }

        void copyTo(long pos, ByteBuffer dst) {
            int from = (int) (pos - start);
            dst.put(data.duplicate().position(from).limit(from + dst.remaining()));
        }
    }

    /**
     * @param readAhead the window in bytes; 0 turns coalescing off
     * @param scoBytes  the volume's SCO size (no SCO is longer)
     */
    BackendReadAhead(ObjectStore store, int readAhead, int scoBytes) {
        this.store = store;
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
        CompletableFuture<Range> pending;
        boolean fetcher = false;
        long start;
        long end;
        synchronized (this) {
            boolean sequential = scoId == lastSco && pos == lastEnd && ns.equals(lastNs);
            lastNs = ns;
            lastSco = scoId;
            lastEnd = pos + length;
            for (Range r : slots) {
                if (r != null && r.covers(ns, scoId, pos, length)) {
                    r.lastUse = ++clock;
                    r.copyTo(pos, dst);
                    return true;
                }
            }
            long windowStart = pos - pos % window;
            long windowEnd = Math.min(windowStart + window, scoBytes);
            if (sequential) {
                start = windowStart;
                end = windowEnd;
            } else {
                long run = runBytes.getAsLong();
                if (run <= length) {
                    return false;
                }
                start = pos;
                end = Math.min(pos + run, windowEnd);
            }
            RangeKey key = new RangeKey(ns, scoId, start);
            pending = inFlight.get(key);
            if (pending == null) {
                pending = new CompletableFuture<>();
                inFlight.put(key, pending);
                fetcher = true;
            }
        }
        if (fetcher) {
            fetch(ns, scoId, start, end, pending);
        }
        Range r;
        try {
            r = pending.join();
        } catch (CompletionException e) {
            return false;
        }
        if (r == null || !r.covers(ns, scoId, pos, length)) {
            return false;
        }
        r.copyTo(pos, dst);
        return true;
    }

    private void fetch(String ns, long scoId, long start, long end, CompletableFuture<Range> done) {
        Range r = null;
        RuntimeException failure = null;
        try {
            r = new Range(ns, scoId, start, fetchRange(ns, NamespaceLayout.scoKey(scoId), start, end));
        } catch (RuntimeException e) {
            failure = e;
        }
        synchronized (this) {
            inFlight.remove(new RangeKey(ns, scoId, start));
            if (r != null) {
                r.lastUse = ++clock;
                int victim = 0;
                for (int i = 0; i < SLOTS; i++) {
                    if (slots[i] == null) {
                        victim = i;
                        break;
                    }
                    if (slots[i].lastUse < slots[victim].lastUse) {
                        victim = i;
                    }
                }
                slots[victim] = r;
            }
        }
        if (failure != null) {
            done.completeExceptionally(failure);
        } else {
            done.complete(r);
        }
    }

    private ByteBuffer fetchRange(String ns, String key, long start, long end) {
        try {
            return store.get(ns, key, start, (int) (end - start));
        } catch (IllegalArgumentException pastEnd) {
            // a SCO sealed before it was full: ask its size once, read what it has
            long size;
            try {
                size = store.stat(ns, key).size();
            } catch (NotFoundException e) {
                throw pastEnd;
            }
            if (size <= start) {
                throw pastEnd;
            }
            return store.get(ns, key, start, (int) (Math.min(end, size) - start));
        }
    }
}
