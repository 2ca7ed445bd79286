package io.scoria.accelerator.dedup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The node's content-addressed cluster cache, shared by every volume: a slab file of
 * fixed-size slots on flash plus a persisted index ({@code fingerprint, data CRC, state} per
 * slot), with clock (second chance) eviction inside a byte budget. A restart rebuilds the
 * in-heap hash table from the index file, so the cache stays warm; after an unclean stop every
 * slot's data is checked against its CRC first. Heap use is proportional to the budget, not to
 * any volume's size.
 *
 * <p>Dedup safety: {@link #insert} compares bytes before it counts a cluster as a duplicate of
 * a cached one, and {@link #read} only returns a slot whose data CRC equals the caller's, so a
 * fingerprint collision never returns another cluster's bytes.
 *
 * <p>Thread-safe: a monitor guards the index only; slot bytes are copied outside it under a
 * per-slot version check (a slot rewritten during the copy is reported as a miss).
 * Buffers: the caller keeps ownership of {@code src}/{@code dst}.
 */
public final class ClusterCache implements AutoCloseable {
    private static final int HEADER = 32;
    private static final int CHUNK = 1 << 30;
    private static final int EMPTY = 0;
    private static final int VALID = 1;
    private static final int FILLING = 2;

    /** Outcome of {@link #insert}. */
    public enum Insert { INSERTED, DUPLICATE, COLLISION, BUSY }

    private final int slotSize;
    private final int slots;
    private final FileChannel slabChannel;
    private final MappedByteBuffer[] slab;
    private final FileChannel indexChannel;
    private final MappedByteBuffer index;
    private final long[] hi;
    private final long[] lo;
    private final int[] crc;
    private final byte[] state;
    private final byte[] ref;
    private final long[] version;
    private final int[] table;
    private final int mask;
    private int hand;
    private int occupied;
    private long hits, misses, inserts, duplicates, collisions, evictions;
    private final ByteBuffer zeros;
    private boolean closed;

    /**
     * @param dir          directory of {@code clusters.slab} and {@code clusters.index}
     * @param slotSize     cluster size this cache holds
     * @param budgetBytes  slab size; {@code budgetBytes / slotSize} slots
     */
    public ClusterCache(Path dir, int slotSize, long budgetBytes) {
        if (slotSize < 512 || Integer.bitCount(slotSize) != 1 || slotSize > CHUNK) {
            throw new IllegalArgumentException("slotSize must be a power of two >= 512: " + slotSize);
        }
        long n = budgetBytes / slotSize;
        if (n < 1 || n > (1 << 28)) {
            throw new IllegalArgumentException("budgetBytes must hold 1 to 2^28 slots of " + slotSize + " bytes: " + budgetBytes);
        }
        this.slotSize = slotSize;
        this.zeros = ByteBuffer.allocate(slotSize).asReadOnlyBuffer();
        this.slots = (int) n;
        hi = new long[slots];
        lo = new long[slots];
        crc = new int[slots];
        state = new byte[slots];
        ref = new byte[slots];
        version = new long[slots];
        int tsize = Integer.highestOneBit(Math.max(4, slots * 2 - 1)) << 1;
        table = new int[tsize];
        mask = tsize - 1;
        try {
            Files.createDirectories(dir);
            Path indexFile = dir.resolve("clusters.index");
            boolean existed = Files.exists(indexFile);
            slabChannel = FileChannel.open(dir.resolve("clusters.slab"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            long slabBytes = (long) slots * slotSize;
            preallocate(slabChannel, slabBytes);
            int chunks = (int) ((slabBytes + CHUNK - 1) / CHUNK);
            slab = new MappedByteBuffer[chunks];
            for (int c = 0; c < chunks; c++) {
                long len = Math.min(CHUNK, slabBytes - (long) c * CHUNK);
                slab[c] = slabChannel.map(FileChannel.MapMode.READ_WRITE, (long) c * CHUNK, len);
            }
            indexChannel = FileChannel.open(indexFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            index = indexChannel.map(FileChannel.MapMode.READ_WRITE, 0, HEADER + (long) slots * HEADER);
            index.order(ByteOrder.LITTLE_ENDIAN);
            boolean clean = existed && index.getLong(0) == slotSize && index.getLong(8) == slots && index.getInt(16) == 1;
            boolean compatible = existed && index.getLong(0) == slotSize && index.getLong(8) == slots;
            if (compatible) {
                load(!clean);
            } else {
                for (int s = 0; s < slots; s++) {
                    index.putInt(HEADER + s * HEADER + 20, EMPTY);
                }
            }
            index.putLong(0, slotSize);
            index.putLong(8, slots);
            index.putInt(16, 0);
            index.force();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open cluster cache in " + dir, e);
        }
    }

    /** Writes zeros up to {@code bytes} so that slot writes never fault in new file blocks on the hot path. */
    private static void preallocate(FileChannel ch, long bytes) throws IOException {
        long pos = ch.size();
        if (pos >= bytes) {
            return;
        }
        ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        while (pos < bytes) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - pos));
            while (zeros.hasRemaining()) {
                pos += ch.write(zeros, pos);
            }
        }
    }

    private void load(boolean verify) {
        CRC32C c = new CRC32C();
        for (int s = 0; s < slots; s++) {
            int base = HEADER + s * HEADER;
            if (index.getInt(base + 20) != VALID) {
                continue;
            }
            long h = index.getLong(base);
            long l = index.getLong(base + 8);
            int k = index.getInt(base + 16);
            if (verify) {
                c.reset();
                c.update(slotView(s));
                if ((int) c.getValue() != k) {
                    index.putInt(base + 20, EMPTY);
                    continue;
                }
            }
            if (find(h, l) >= 0) {
                index.putInt(base + 20, EMPTY);
                continue;
            }
            hi[s] = h;
            lo[s] = l;
            crc[s] = k;
            state[s] = VALID;
            tableInsert(s);
            occupied++;
        }
    }

    public int slotSize() {
        return slotSize;
    }

    private ByteBuffer slotView(int s) {
        long pos = (long) s * slotSize;
        ByteBuffer chunk = slab[(int) (pos / CHUNK)];
        int off = (int) (pos % CHUNK);
        return chunk.duplicate().position(off).limit(off + slotSize);
    }

    private static int hash(long h, long l) {
        long x = h ^ (l * 0x9E3779B97F4A7C15L);
        return (int) (x ^ (x >>> 29));
    }

    private int find(long h, long l) {
        int i = hash(h, l) & mask;
        while (true) {
            int v = table[i];
            if (v == 0) {
                return -1;
            }
            int s = v - 1;
            if (hi[s] == h && lo[s] == l) {
                return s;
            }
            i = (i + 1) & mask;
        }
    }

    private void tableInsert(int s) {
        int i = hash(hi[s], lo[s]) & mask;
        while (table[i] != 0) {
            i = (i + 1) & mask;
        }
        table[i] = s + 1;
    }

    private void tableRemove(int s) {
        int i = hash(hi[s], lo[s]) & mask;
        while (table[i] != s + 1) {
            if (table[i] == 0) {
                return;
            }
            i = (i + 1) & mask;
        }
        // backward-shift deletion keeps linear probing chains intact
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (table[j] == 0) {
                break;
            }
            int t = table[j] - 1;
            int home = hash(hi[t], lo[t]) & mask;
            boolean between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (!between) {
                table[i] = table[j];
                i = j;
            }
        }
        table[i] = 0;
    }

    /**
     * Copies the cluster with this fingerprint and data CRC into {@code dst} (exactly one slot
     * remaining; position advanced on a hit). Returns false on a miss.
     */
    public boolean read(long fpHi, long fpLo, int dataCrc, ByteBuffer dst) {
        int s;
        long v;
        synchronized (this) {
            checkOpen();
            s = find(fpHi, fpLo);
            if (s < 0 || state[s] != VALID || crc[s] != dataCrc) {
                misses++;
                return false;
            }
            v = version[s];
            ref[s] = 1;
        }
        int start = dst.position();
        dst.put(slotView(s));
        synchronized (this) {
            if (version[s] != v) {
                dst.position(start);
                misses++;
                return false;
            }
            hits++;
        }
        return true;
    }

    /**
     * Offers a cluster ({@code src} from position, exactly one slot; position unchanged) under
     * its fingerprint and data CRC. A cached cluster with the same fingerprint counts as a
     * duplicate only if its bytes are equal; otherwise the result is {@link Insert#COLLISION}
     * and the cache keeps the older cluster.
     */
    public Insert insert(long fpHi, long fpLo, int dataCrc, ByteBuffer src) {
        if (src.remaining() != slotSize) {
            throw new IllegalArgumentException("src must hold exactly " + slotSize + " bytes: " + src.remaining());
        }
        int s;
        long v;
        synchronized (this) {
            checkOpen();
            s = find(fpHi, fpLo);
            if (s >= 0) {
                if (state[s] != VALID) {
                    return Insert.BUSY;
                }
                if (crc[s] != dataCrc) {
                    collisions++;
                    return Insert.COLLISION;
                }
                v = version[s];
            } else {
                s = victim();
                if (s < 0) {
                    return Insert.BUSY;
                }
                if (state[s] == VALID) {
                    tableRemove(s);
                    occupied--;
                    evictions++;
                }
                version[s]++;
                state[s] = FILLING;
                hi[s] = fpHi;
                lo[s] = fpLo;
                crc[s] = dataCrc;
                ref[s] = 1;
                tableInsert(s);
                index.putInt(HEADER + s * HEADER + 20, EMPTY);
                v = -1;
            }
        }
        if (v >= 0) {
            boolean same = slotView(s).equals(src);
            synchronized (this) {
                if (version[s] != v) {
                    return Insert.BUSY;
                }
                if (!same) {
                    collisions++;
                    return Insert.COLLISION;
                }
                ref[s] = 1;
                duplicates++;
                return Insert.DUPLICATE;
            }
        }
        long pos = (long) s * slotSize;
        // absolute bulk copy: no view of the slab or of src is allocated per insert
        slab[(int) (pos / CHUNK)].put((int) (pos % CHUNK), src, src.position(), slotSize);
        int base = HEADER + s * HEADER;
        synchronized (this) {
            index.putLong(base, fpHi);
            index.putLong(base + 8, fpLo);
            index.putInt(base + 16, dataCrc);
            index.putInt(base + 20, VALID);
            state[s] = VALID;
            occupied++;
            inserts++;
        }
        return Insert.INSERTED;
    }

    /**
     * Removes the cluster with this fingerprint, if cached, and overwrites its slot with zeros (a
     * deleted volume's bytes must not stay readable on flash); a read copying it meanwhile reports a
     * miss. Returns true if a cluster was removed.
     */
    public boolean discard(long fpHi, long fpLo) {
        int s;
        synchronized (this) {
            checkOpen();
            s = find(fpHi, fpLo);
            if (s < 0 || state[s] != VALID) {
                return false;
            }
            tableRemove(s);
            occupied--;
            version[s]++;
            state[s] = FILLING; // no insert takes the slot while it is zeroed
            index.putInt(HEADER + s * HEADER + 20, EMPTY);
        }
        long pos = (long) s * slotSize;
        slab[(int) (pos / CHUNK)].put((int) (pos % CHUNK), zeros, 0, slotSize);
        synchronized (this) {
            hi[s] = 0;
            lo[s] = 0;
            crc[s] = 0;
            state[s] = EMPTY;
        }
        return true;
    }

    private int victim() {
        for (int i = 0; i < 2 * slots + 1; i++) {
            int s = hand;
            hand = hand + 1 == slots ? 0 : hand + 1;
            if (state[s] == EMPTY) {
                return s;
            }
            if (state[s] == FILLING) {
                continue;
            }
            if (ref[s] != 0) {
                ref[s] = 0;
                continue;
            }
            return s;
        }
        return -1;
    }

    public synchronized CacheStats stats() {
        return new CacheStats(slots, occupied, hits, misses, inserts, duplicates, collisions, evictions);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("cluster cache is closed");
        }
    }

    /** Forces slab and index and marks the index clean; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (MappedByteBuffer m : slab) {
                m.force();
            }
            index.putInt(16, 1);
            index.force();
            slabChannel.close();
            indexChannel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close cluster cache", e);
        }
    }
}
