package io.scoria.accelerator.volume;

import io.scoria.backend.NotFoundException;
import io.scoria.backend.ObjectStore;
import io.scoria.sco.NamespaceLayout;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The node's SCO ranges fetched by coalesced cold reads ({@link BackendReadAhead}), shared by all
 * of its volumes: clones of one template that boot at once read the template's SCOs, and a range
 * one of them fetches serves the others, so the backend is read about once per window however
 * many clones read. A range asked for while its fetch runs waits for that fetch (one GET).
 *
 * <p>Thread-safe: look-ups and slot changes under this object's lock; fetches run outside it.
 * Memory: at most {@code slots} ranges of at most the read-ahead window each, on the heap,
 * allocated as fetched; the least recently used range is replaced.
 */
final class FetchedRanges {
    private final ObjectStore store;
    private final Range[] slots;
    private final Map<RangeKey, CompletableFuture<Range>> inFlight = new HashMap<>();
    private long clock;

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

    FetchedRanges(ObjectStore store, int slots) {
        this.store = store;
        this.slots = new Range[Math.max(1, slots)];
    }

    /** Copies {@code dst.remaining()} bytes at {@code pos} of the SCO into {@code dst} if a kept range holds them. */
    synchronized boolean copyIfKept(String ns, long scoId, long pos, ByteBuffer dst) {
        for (Range r : slots) {
            if (r != null && r.covers(ns, scoId, pos, dst.remaining())) {
                r.lastUse = ++clock;
                r.copyTo(pos, dst);
                return true;
            }
        }
        return false;
    }

    /** Drops every kept range of SCO {@code scoId} of {@code ns} (its bytes on the backend changed). */
    synchronized void forget(String ns, long scoId) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null && slots[i].scoId == scoId && slots[i].ns.equals(ns)) {
                slots[i] = null;
            }
        }
    }

    /**
     * Drops every kept range of namespace {@code ns}: it was deleted or made again, and its SCO numbers
     * start over, so a kept range would hold another volume's bytes under the same key.
     */
    synchronized void forget(String ns) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null && slots[i].ns.equals(ns)) {
                slots[i] = null;
            }
        }
    }

    /**
     * Fetches {@code [start, end)} of the SCO (once, however many ask at the same time; a range past
     * the end of a short SCO is cut to its size) and copies {@code dst.remaining()} bytes at
     * {@code pos} from it; false, with {@code dst} untouched, if the fetch failed or does not cover them.
     */
    boolean fetchAndCopy(String ns, long scoId, long start, long end, long pos, ByteBuffer dst) {
        CompletableFuture<Range> pending;
        boolean fetcher = false;
        synchronized (this) {
            for (Range r : slots) {
                if (r != null && r.covers(ns, scoId, pos, dst.remaining())) {
                    r.lastUse = ++clock;
                    r.copyTo(pos, dst);
                    return true;
                }
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
        if (r == null || !r.covers(ns, scoId, pos, dst.remaining())) {
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
                for (int i = 0; i < slots.length; i++) {
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
