package io.scoria.distributor.stripe;

import io.scoria.backend.BackendException;
import io.scoria.backend.BackendUnavailableException;
import io.scoria.backend.CorruptDataException;
import io.scoria.backend.NotFoundException;
import io.scoria.distributor.FragmentStore;
import io.scoria.distributor.manifest.Manifest;
import io.scoria.distributor.placement.StoreSet;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The read path. A range is cut into pieces, one per (stripe, data fragment); each piece is
 * first read from its data fragment alone (a 4 KiB read is one ranged GET). If that read
 * fails (missing, CRC mismatch, store down) the same byte range is read from other fragments
 * and decoded; if it is merely slow, after the hedge delay further fragments are asked and the
 * first X answers win ("fastest X of Y"); reads still running are cancelled. A read of one
 * piece whose data fragment is on a store with only fast recent reads
 * ({@link StoreSet#readsFast}) asks that fragment on the calling thread, saving two thread
 * hand-offs; only if it fails are other fragments asked (on I/O threads). Thread-safe.
 */
public final class StripeReader {
    private final StoreSet storeSet;

    public StripeReader(StoreSet storeSet) {
        this.storeSet = storeSet;
    }

    /** Too few fragments answered for some piece; carries the counts for the message. */
    public static final class FragmentsUnavailableException extends BackendUnavailableException {
        private static final long serialVersionUID = 1L;
        private final int notFound;

        FragmentsUnavailableException(String message, int notFound) {
            super(message);
            this.notFound = notFound;
        }

        /** How many fragments were reported missing (a hint that the manifest is stale). */
        public int notFound() {
            return notFound;
        }
    }

    /** {@code stored}: the verified stored bytes (payload with CRCs) of the piece's chunks. */
    private record Result(int fragment, byte[] stored, BackendException error) {
    }

    /** One piece: payload range [chunkFrom, chunkTo) of every fragment, wanted [from, to) of {@code fragment}. */
    private final class Piece {
        final Manifest m;
        final String ns;
        final int fragment;
        final long chunkFrom;
        final long chunkTo;
        final int skip;
        final int length;
        final int dstOffset;
        final LinkedBlockingQueue<Result> done = new LinkedBlockingQueue<>();
        final List<Future<?>> running = new ArrayList<>();
        final boolean[] launched;
        /** Verified stored bytes (with CRCs) per fragment that answered. */
        final byte[][] got;
        final BackendException[] errors;

        Piece(String ns, Manifest m, StripeLayout layout, int fragment, long from, int length, int dstOffset) {
            this.ns = ns;
            this.m = m;
            this.fragment = fragment;
            this.chunkFrom = from / StripeLayout.CHUNK * StripeLayout.CHUNK;
            long end = (from + length + StripeLayout.CHUNK - 1) / StripeLayout.CHUNK * StripeLayout.CHUNK;
            this.chunkTo = Math.min(end, layout.fragmentLength());
            this.skip = (int) (from - chunkFrom);
            this.length = length;
            this.dstOffset = dstOffset;
            int y = m.totalFragments();
            this.launched = new boolean[y];
            this.got = new byte[y][];
            this.errors = new BackendException[y];
        }

        boolean launch(int f) {
            return launch(f, false);
        }

        /**
         * Asks fragment {@code f} (once); its result arrives in {@link #done}. With {@code inline}
         * the read runs on this thread if the store's reads are fast, else on an I/O thread.
         */
        boolean launch(int f, boolean inline) {
            if (launched[f]) {
                return false;
            }
            launched[f] = true;
            Manifest.Fragment frag = m.fragments().get(f);
            FragmentStore store = storeSet.store(frag.store());
            if (store == null) {
                done.add(new Result(f, null, new NotFoundException("fragment " + f + " of '" + m.key() + "' is on "
                        + (frag.store() == null ? "no store (degraded write)" : "unknown store '" + frag.store() + "'"))));
                return true;
            }
            String key = m.fragmentKey(f);
            if (inline && storeSet.readsFast(store)) {
                done.add(readRange(store, ns, key, f));
                return true;
            }
            running.add(storeSet.submit(() -> {
                done.add(readRange(store, ns, key, f));
                return null;
            }));
            return true;
        }

        Result readRange(FragmentStore store, String ns, String key, int f) {
            long t0 = System.nanoTime();
            try {
                long storedFrom = StripeLayout.storedOffset(chunkFrom);
                int storedLength = (int) StripeLayout.storedLength(chunkTo - chunkFrom);
                byte[] stored = new byte[storedLength];
                store.store().read(ns, key, storedFrom, ByteBuffer.wrap(stored));
                StripeLayout.verify(stored, storedLength, store.name() + ":" + ns + "/" + key);
                storeSet.recordRead(store, System.nanoTime() - t0);
                return new Result(f, stored, null);
            } catch (BackendException e) {
                return new Result(f, null, e);
            } catch (IllegalArgumentException e) {
                return new Result(f, null, new CorruptDataException(store.name() + ":" + ns + "/" + key
                        + " is shorter than its manifest says: " + e.getMessage(), e));
            } catch (RuntimeException e) {
                return new Result(f, null, new BackendUnavailableException(store.name() + ": " + e, e));
            }
        }

        void cancel() {
            for (Future<?> f : running) {
                f.cancel(true);
            }
        }
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset} (range already checked) into dst. */
    public void read(String ns, Manifest m, long offset, ByteBuffer dst) {
        StripeLayout layout = new StripeLayout(m.size(), m.dataFragments(), m.megaBlockSize());
        long end = offset + dst.remaining();
        List<Piece> pieces = new ArrayList<>();
        long pos = offset;
        while (pos < end) {
            long s = pos / ((long) m.dataFragments() * m.megaBlockSize());
            int b = layout.blockSize(s);
            long r = pos - layout.stripeStart(s);
            int fragment = (int) (r / b);
            long q = r % b;
            int n = (int) Math.min(b - q, end - pos);
            pieces.add(new Piece(ns, m, layout, fragment, layout.fragmentStart(s) + q, n, (int) (pos - offset)));
            pos += n;
        }
        try {
            // one piece (a small read) from a fast store: no hand-off to an I/O thread
            boolean inline = pieces.size() == 1;
            for (Piece p : pieces) {
                p.launch(p.fragment, inline);
            }
            for (Piece p : pieces) {
                finish(p, dst);
            }
        } finally {
            for (Piece p : pieces) {
                p.cancel();
            }
        }
        dst.position(dst.position() + (int) (end - offset));
    }

    private void finish(Piece p, ByteBuffer dst) {
        int x = p.m.dataFragments();
        // bigger pieces take longer: allow ~10 ns per byte (100 MB/s per fragment) on top
        long delay = storeSet.latency().hedgeDelayNanos() + 10L * (p.chunkTo - p.chunkFrom);
        long deadline = System.nanoTime() + delay;
        int ok = 0;
        int inFlight = 1;
        boolean hedged = false;
        try {
            while (true) {
                if (p.got[p.fragment] != null) {
                    StripeLayout.copyPayload(p.got[p.fragment], p.skip, p.length, dst, dst.position() + p.dstOffset);
                    return;
                }
                if (ok >= x) {
                    decode(p, dst);
                    return;
                }
                if (inFlight == 0) {
                    // nothing pending and not enough: ask for more, or give up
                    int added = launchMore(p, x - ok);
                    if (added == 0) {
                        throw unavailable(p, ok);
                    }
                    inFlight += added;
                    hedged = true;
                }
                long wait = deadline - System.nanoTime();
                Result r = wait > 0 ? p.done.poll(wait, TimeUnit.NANOSECONDS) : null;
                if (r == null) {
                    // slow: ask enough others that the first X answers decode, then one more per delay
                    int want = hedged ? 1 : x + 1 - ok - inFlight;
                    hedged = true;
                    inFlight += launchMore(p, Math.max(1, want));
                    deadline = System.nanoTime() + delay;
                    continue;
                }
                inFlight--;
                if (r.stored() != null) {
                    p.got[r.fragment()] = r.stored();
                    ok++;
                } else {
                    p.errors[r.fragment()] = r.error();
                    hedged = true;
                    if (ok + inFlight < x) {
                        inFlight += launchMore(p, x - ok - inFlight);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("distributor: interrupted reading '" + p.m.key() + "'", e);
        }
    }

    /** Launches up to {@code count} fragments not yet asked (data first, then parity). */
    private static int launchMore(Piece p, int count) {
        int n = 0;
        for (int f = 0; f < p.launched.length && n < count; f++) {
            if (p.launch(f)) {
                n++;
            }
        }
        return n;
    }

    private void decode(Piece p, ByteBuffer dst) {
        int y = p.m.totalFragments();
        ByteBuffer[] fragments = new ByteBuffer[y];
        boolean[] present = new boolean[y];
        int used = 0;
        for (int f = 0; f < y; f++) {
            if (p.got[f] != null && used < p.m.dataFragments()) {
                byte[] payload = new byte[(int) (p.chunkTo - p.chunkFrom)];
                StripeLayout.unframe(p.got[f], p.got[f].length, payload, 0, "fragment " + f);
                fragments[f] = ByteBuffer.wrap(payload);
                present[f] = true;
                used++;
            }
        }
        byte[] out = new byte[(int) (p.chunkTo - p.chunkFrom)];
        fragments[p.fragment] = ByteBuffer.wrap(out);
        storeSet.codec(p.m.dataFragments(), y).reconstruct(fragments, present);
        dst.put(dst.position() + p.dstOffset, out, p.skip, p.length);
    }

    private FragmentsUnavailableException unavailable(Piece p, int ok) {
        int notFound = 0;
        int corrupt = 0;
        int down = 0;
        StringBuilder why = new StringBuilder();
        for (int f = 0; f < p.errors.length; f++) {
            BackendException e = p.errors[f];
            if (e == null) {
                continue;
            }
            if (e instanceof NotFoundException) {
                notFound++;
            } else if (e instanceof CorruptDataException) {
                corrupt++;
            } else {
                down++;
            }
            why.append("\n  fragment ").append(f).append(": ").append(e.getMessage());
        }
        return new FragmentsUnavailableException("distributor: object '" + p.m.key() + "' in '" + p.ns + "': only " + ok
                + " of " + p.m.totalFragments() + " fragments found for bytes at fragment offset " + p.chunkFrom + ", "
                + p.m.dataFragments() + " needed (" + notFound + " missing, " + corrupt + " corrupt, " + down
                + " unavailable)" + why, notFound);
    }
}
