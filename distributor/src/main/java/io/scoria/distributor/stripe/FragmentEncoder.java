package io.scoria.distributor.stripe;

import io.scoria.distributor.Policy;
import io.scoria.distributor.ec.ErasureCodec;
import io.scoria.distributor.placement.StoreSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.zip.CRC32C;

/**
 * Encodes an object straight into its Y stored (framed) fragments, in buffers it lends out
 * and takes back for the next object. The object's bytes go from the source once, stripe by
 * stripe, into the data fragments' chunk slots (scattered around the CRC slots); parity is
 * encoded chunk by chunk into the parity fragments' slots; then every chunk's CRC32C is
 * written behind it. No intermediate copy of the object is made, and for a file source the
 * object is never held in the heap apart from its fragments.
 *
 * <p>Memory: one set of buffers holds the Y fragments of one object (Y/X times its size plus
 * 4 bytes per 4 KiB); up to {@value #POOLED} sets of fragments up to
 * {@value #MAX_POOLED_FRAGMENT} bytes each are kept for reuse. Thread-safe: each
 * {@link #encode} uses its own set.
 */
public final class FragmentEncoder {
    private static final int POOLED = 4;
    private static final int MAX_POOLED_FRAGMENT = 16 << 20;
    private static final int SLOT = StripeLayout.CHUNK + 4;

    /** Where the object's bytes come from. */
    @FunctionalInterface
    public interface Source {
        /**
         * Fills {@code chunks[from .. from+count)} (each from position to limit) in order with the
         * object's bytes starting at {@code offset}; positions end at the limits.
         */
        void read(long offset, ByteBuffer[] chunks, int from, int count);

        /** The bytes of {@code data} from its position to its limit (not moved). */
        static Source of(ByteBuffer data) {
            ByteBuffer src = data.duplicate();
            int base = src.position();
            return (offset, chunks, from, count) -> {
                long at = base + offset;
                for (int k = from; k < from + count; k++) {
                    ByteBuffer c = chunks[k];
                    int n = c.remaining();
                    c.put(c.position(), src, (int) at, n).position(c.limit());
                    at += n;
                }
            };
        }

        /** The first bytes of an open file; the channel's position is used and moved. */
        static Source of(FileChannel channel, Path file) {
            return (offset, chunks, from, count) -> {
                try {
                    channel.position(offset);
                    while (chunks[from + count - 1].hasRemaining()) {
                        if (channel.read(chunks, from, count) < 0) {
                            throw new IOException("file ended at byte " + channel.position() + ", it shrank while being stored");
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file, e);
                }
            };
        }
    }

    private final StoreSet storeSet;
    private final ArrayBlockingQueue<Fragments> pool = new ArrayBlockingQueue<>(POOLED);

    public FragmentEncoder(StoreSet storeSet) {
        this.storeSet = storeSet;
    }

    /**
     * The stored fragments of one object in lent buffers. Give them back with {@link #close()}
     * once no store reads them any more, or {@link #abandon()} them if that cannot be known.
     * Not thread-safe; the buffers may be read by many threads between encode and close.
     */
    public final class Fragments implements AutoCloseable {
        private final byte[][] framed;
        /** Per fragment, a view of each chunk slot (without its CRC). */
        private final ByteBuffer[][] slots;
        private final int[] crc;
        private StripeLayout layout;
        private int storedLength;
        private boolean abandoned;

        private Fragments(int fragments, int chunks) {
            framed = new byte[fragments][chunks * SLOT];
            slots = new ByteBuffer[fragments][chunks];
            for (int i = 0; i < fragments; i++) {
                for (int k = 0; k < chunks; k++) {
                    slots[i][k] = ByteBuffer.wrap(framed[i], k * SLOT, StripeLayout.CHUNK);
                }
            }
            crc = new int[fragments];
        }

        private boolean fits(int fragments, int chunks) {
            return framed.length == fragments && slots[0].length >= chunks;
        }

        public StripeLayout layout() {
            return layout;
        }

        /** Stored fragment {@code i}: payload with a CRC32C behind every chunk. */
        public ByteBuffer fragment(int i) {
            return ByteBuffer.wrap(framed[i], 0, storedLength);
        }

        public int storedLength() {
            return storedLength;
        }

        /** CRC32C of the whole stored fragment {@code i} (the manifest records it). */
        public int crc(int i) {
            return crc[i];
        }

        /** The buffers may still be in use (a store call was left running): never lend them again. */
        public void abandon() {
            abandoned = true;
        }

        @Override
        public void close() {
            if (!abandoned && framed[0].length <= MAX_POOLED_FRAGMENT) {
                abandoned = true;
                pool.offer(this);
            }
        }
    }

    /** Encodes the {@code size} bytes of {@code source} with {@code policy}; size must be > 0. */
    public Fragments encode(Source source, long size, Policy policy) {
        int x = policy.dataFragments();
        int y = policy.totalFragments();
        StripeLayout layout = new StripeLayout(size, x, policy.megaBlockSize());
        long payload = layout.fragmentLength();
        int chunks = (int) ((payload + StripeLayout.CHUNK - 1) / StripeLayout.CHUNK);
        Fragments f = borrow(y, chunks);
        f.layout = layout;
        f.storedLength = (int) layout.storedLength();
        for (long s = 0; s < layout.stripes(); s++) {
            int b = layout.blockSize(s);
            int first = (int) (layout.fragmentStart(s) / StripeLayout.CHUNK);
            for (int i = 0; i < x; i++) {
                long from = layout.stripeStart(s) + (long) i * b;
                int n = (int) Math.max(0, Math.min(b, size - from));
                fillBlock(f, source, i, first, from, n, b);
            }
        }
        ErasureCodec codec = storeSet.codec(x, y);
        ByteBuffer[] data = new ByteBuffer[x];
        ByteBuffer[] parity = new ByteBuffer[y - x];
        CRC32C crc = new CRC32C();
        CRC32C[] whole = new CRC32C[y];
        for (int i = 0; i < y; i++) {
            whole[i] = new CRC32C();
        }
        for (int k = 0; k < chunks; k++) {
            int length = (int) Math.min(StripeLayout.CHUNK, payload - (long) k * StripeLayout.CHUNK);
            int at = k * SLOT;
            for (int i = 0; i < y; i++) {
                ByteBuffer slot = f.slots[i][k].limit(at + length).position(at);
                if (i < x) {
                    data[i] = slot;
                } else {
                    parity[i - x] = slot;
                }
            }
            codec.encode(data, parity);
            for (int i = 0; i < y; i++) {
                crc.reset();
                crc.update(f.framed[i], at, length);
                putInt(f.framed[i], at + length, (int) crc.getValue());
                whole[i].update(f.framed[i], at, length + 4); // while the chunk is still in the cache
            }
        }
        for (int i = 0; i < y; i++) {
            f.crc[i] = (int) whole[i].getValue();
        }
        return f;
    }

    /** Reads {@code n} object bytes at {@code from} into block {@code i} of a stripe and zeroes the rest of the block. */
    private static void fillBlock(Fragments f, Source source, int i, int first, long from, int n, int blockSize) {
        int dataChunks = (n + StripeLayout.CHUNK - 1) / StripeLayout.CHUNK;
        for (int j = 0; j < dataChunks; j++) {
            int at = (first + j) * SLOT;
            f.slots[i][first + j].limit(at + Math.min(StripeLayout.CHUNK, n - j * StripeLayout.CHUNK)).position(at);
        }
        if (dataChunks > 0) {
            source.read(from, f.slots[i], first, dataChunks);
        }
        for (int p = n; p < blockSize; ) {
            int at = (first + p / StripeLayout.CHUNK) * SLOT + p % StripeLayout.CHUNK;
            int end = (p / StripeLayout.CHUNK + 1) * StripeLayout.CHUNK;
            int stop = Math.min(end, blockSize);
            Arrays.fill(f.framed[i], at, at + (stop - p), (byte) 0);
            p = stop;
        }
    }

    private Fragments borrow(int fragments, int chunks) {
        Fragments f = pool.poll();
        if (f == null || !f.fits(fragments, chunks)) {
            return new Fragments(fragments, chunks);
        }
        f.abandoned = false;
        return f;
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
