package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;

/**
 * Bulk updates of an {@link LbaMap} (TLog replay): buffers puts off-heap (28 bytes each, no
 * object per put), then {@link #flush} sorts them by LBA with a stable radix sort (so puts to
 * one LBA stay in arrival order and the last one wins; location 0 removes), and writes each
 * touched dense group with one map update, and the rest of each 4096-LBA region with one read
 * and one write per touched page (see {@link LbaMap}). The result equals the same puts made one by one with
 * {@link LbaMap#put}. Fills up → flushes by itself. Not thread-safe; the caller serialises it
 * with the map's other writers. {@link #close} frees the buffer and discards unflushed puts.
 */
public final class LbaBatch implements AutoCloseable {
    private static final int DIGIT_BITS = 11;
    private final LbaMap map;
    private final int seqBits;
    private final int capacity;
    private long[] keys;
    private long[] sorted;
    private static final Memory M = OS.memory();
    private final BytesStore<?, Void> records;
    private final long recordsAddr;
    private final GroupUpdate update = new GroupUpdate();
    private final RecordList pageUpdates = new RecordList(LbaMap.regionSize());
    private int size;
    private long maxLba;
    private boolean closed;

    LbaBatch(LbaMap map, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch capacity must be positive: " + capacity);
        }
        this.map = map;
        // key = lba << seqBits | sequence: the LBA needs bitsOf(clusters - 1) bits below the sign bit
        int lbaBits = Math.max(1, 64 - Long.numberOfLeadingZeros(map.clusters() - 1));
        this.seqBits = Math.min(24, 63 - lbaBits);
        this.capacity = (int) Math.min(capacity, 1L << seqBits);
        this.keys = new long[this.capacity];
        this.sorted = new long[this.capacity];
        this.records = OffHeap.store((long) this.capacity * LbaMap.RECORD);
        this.recordsAddr = records.addressForWrite(0);
    }

    /** Buffers one put (same meaning as {@link LbaMap#put}); may apply the buffer first if full. */
    public void put(long lba, long location, long fpHi, long fpLo, int crc) {
        location = map.stored(location);
        map.checkLba(lba);
        if (closed) {
            throw new IllegalStateException("LBA batch is closed");
        }
        if (size == capacity) {
            flush();
        }
        keys[size] = (lba << seqBits) | size;
        long r = recordsAddr + (long) size * LbaMap.RECORD;
        M.writeLong(r, location);
        M.writeLong(r + 8, fpHi);
        M.writeLong(r + 16, fpLo);
        M.writeInt(r + 24, crc);
        maxLba = Math.max(maxLba, lba);
        size++;
    }

    /** Applies the buffered puts to the map and empties the buffer. */
    public void flush() {
        if (closed) {
            throw new IllegalStateException("LBA batch is closed");
        }
        if (size == 0) {
            return;
        }
        long[] k = sortByLba();
        long seqMask = (1L << seqBits) - 1;
        int regionShift = seqBits + PageMap.COARSE_SHIFT;
        int i = 0;
        while (i < size) {
            long region = k[i] >>> regionShift;
            pageUpdates.clear();
            while (i < size && k[i] >>> regionShift == region) {
                long group = k[i] >>> (seqBits + LbaMap.SHIFT);
                update.reset();
                while (i < size && k[i] >>> (seqBits + LbaMap.SHIFT) == group) {
                    long lba = k[i] >>> seqBits;
                    while (i + 1 < size && k[i + 1] >>> seqBits == lba) {
                        i++; // an earlier put to the same LBA: the later one wins
                    }
                    long r = recordsAddr + (k[i] & seqMask) * LbaMap.RECORD;
                    update.put((int) (lba & (LbaMap.GROUP - 1)), M.readLong(r), M.readLong(r + 8), M.readLong(r + 16),
                            M.readInt(r + 24));
                    i++;
                }
                map.applyGroup(group, update, pageUpdates);
            }
            if (pageUpdates.size > 0) {
                map.applyRegion(region, pageUpdates);
            }
            map.checkFill();
        }
        size = 0;
        maxLba = 0;
    }

    /** LSD radix sort of keys[0, size) on the LBA bits only; stable, so equal LBAs keep arrival order. */
    private long[] sortByLba() {
        int lbaBits = Math.max(1, 64 - Long.numberOfLeadingZeros(maxLba));
        long[] src = keys;
        long[] dst = sorted;
        int[] count = new int[1 << DIGIT_BITS];
        for (int shift = seqBits; shift < seqBits + lbaBits; shift += DIGIT_BITS) {
            java.util.Arrays.fill(count, 0);
            int mask = (1 << DIGIT_BITS) - 1;
            for (int j = 0; j < size; j++) {
                count[(int) (src[j] >>> shift) & mask]++;
            }
            int sum = 0;
            for (int d = 0; d < count.length; d++) {
                int c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int j = 0; j < size; j++) {
                long v = src[j];
                dst[count[(int) (v >>> shift) & mask]++] = v;
            }
            long[] t = src;
            src = dst;
            dst = t;
        }
        keys = src;
        sorted = dst;
        return src;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            size = 0;
            records.releaseLast();
            keys = null;
            sorted = null;
        }
    }
}
