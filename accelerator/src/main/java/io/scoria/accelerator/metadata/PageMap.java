package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;


/**
 * The pages of an {@link LbaMap}, records of scattered LBAs, in its chronicle map (variable-size
 * values; does not own the map). A coarse page (key {@code COARSE_TAG | LBA >>> 12}) covers 4096
 * LBAs, a fine page (key {@code FINE_TAG | LBA >>> 7}) 128 LBAs. Value: int split mask (coarse pages: bit
 * {@code r} set = the records of LBAs {@code 128 r .. 128 r + 127} of the page live in their fine
 * page, none in this one; fine pages: 0), then the {@code n} present LBAs' offsets from the
 * page's first LBA (u16 each, ascending), then their {@code n} records of 28 bytes in the same
 * order (location, fingerprint high, low, data CRC; native byte order). Size = 4 + 30 n. Readers may run concurrently with the single
 * writer: each page is replaced as a whole under chronicle's segment lock.
 */
final class PageMap implements AutoCloseable {
    static final int COARSE_SHIFT = 12;
    static final int FINE_SHIFT = 7;
    static final long COARSE_TAG = 1L << 61;
    static final long FINE_TAG = 1L << 62;
    static final int HEADER = 4;
    static final int SLOT = 2 + LbaMap.RECORD;
    private static final Memory M = OS.memory();
    private final ChronicleMap<Long, byte[]> map;
    private final MappedClusters mapped;
    // writer scratch: touched only under the caller's serialisation
    private final LongKey writeKey = new LongKey();
    /** Allocated on the first write: a map that is only read never needs it. */
    private BytesStore<?, Void> scratch;

    /** @param mapped told of every record the writer adds or removes */
    PageMap(ChronicleMap<Long, byte[]> map, MappedClusters mapped) {
        this.map = map;
        this.mapped = mapped;
    }

    /** Records in a page value of {@code size} bytes. */
    static int records(long size) {
        return (int) ((size - HEADER) / SLOT);
    }

    static long coarseKey(long lba) {
        return COARSE_TAG | (lba >>> COARSE_SHIFT);
    }

    static long fineKey(long lba) {
        return FINE_TAG | (lba >>> FINE_SHIFT);
    }

    /** Bit of {@code lba}'s fine range in its coarse page's split mask. */
    static int rangeBit(long lba) {
        return 1 << (int) ((lba >>> FINE_SHIFT) & 31);
    }

    /** Index of {@code offset} among the {@code n} offsets at {@code a + HEADER}, or -1. */
    private static int search(long a, int n, int offset) {
        int lo = 0;
        int hi = n - 1;
        long offs = a + HEADER;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int o = M.readShort(offs + 2L * mid) & 0xFFFF;
            if (o < offset) {
                lo = mid + 1;
            } else if (o > offset) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    private static long recordAddress(long a, int n, int i) {
        return a + HEADER + 2L * n + (long) LbaMap.RECORD * i;
    }

    /** Fills {@code out} and returns true if {@code lba} has a record in its coarse or fine page. */
    boolean find(long lba, LbaEntry out, LongKey key) {
        boolean fine;
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(key.set(coarseKey(lba)))) {
            MapEntry<Long, byte[]> e = q.entry();
            if (e == null) {
                return false;
            }
            Data<byte[]> v = e.value();
            long a = v.bytes().addressForRead(v.offset());
            fine = (M.readInt(a) & rangeBit(lba)) != 0;
            if (!fine) {
                return read(a, v.size(), (int) (lba & ((1 << COARSE_SHIFT) - 1)), out);
            }
        }
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(key.set(fineKey(lba)))) {
            MapEntry<Long, byte[]> e = q.entry();
            if (e == null) {
                return false;
            }
            Data<byte[]> v = e.value();
            return read(v.bytes().addressForRead(v.offset()), v.size(), (int) (lba & ((1 << FINE_SHIFT) - 1)), out);
        }
    }

    private static boolean read(long a, long size, int offset, LbaEntry out) {
        int n = records(size);
        int i = search(a, n, offset);
        if (i < 0) {
            return false;
        }
        long r = recordAddress(a, n, i);
        out.location = M.readLong(r);
        out.fpHi = M.readLong(r + 8);
        out.fpLo = M.readLong(r + 16);
        out.crc = M.readInt(r + 24);
        return true;
    }

    /**
     * Applies one put to the page that holds or would hold {@code lba} if that needs no move:
     * an overwrite in place, or the page rewritten with one record more or less. Returns false
     * and changes nothing if the put needs {@link LbaMap#applyRegion} instead (a group reaching
     * {@link LbaMap#PROMOTE} records, a coarse page exceeding {@link LbaMap#COARSE_MAX}, a page
     * losing its last record). Writer only; the LBA's group must have no dense entry.
     */
    boolean putSingle(long lba, long location, long fpHi, long fpLo, int crc) {
        long key = coarseKey(lba);
        int offset = (int) (lba & ((1 << COARSE_SHIFT) - 1));
        scratch();
        for (int level = 0; level < 2; level++) {
            try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(key))) {
                q.updateLock().lock();
                MapEntry<Long, byte[]> e = q.entry();
                if (e == null) {
                    if (level == 1) {
                        return false; // a split range without its fine page: let the general path decide
                    }
                    if (location != 0) {
                        long a = scratch.addressForWrite(0);
                        M.writeInt(a, 0);
                        M.writeShort(a + HEADER, (short) offset);
                        writeRecord(a + HEADER + 2, location, fpHi, fpLo, crc);
                        q.insert(q.absentEntry(), q.wrapValueBytesAsData(scratch, 0, HEADER + SLOT));
                        mapped.add(1);
                    }
                    return true;
                }
                Data<byte[]> v = e.value();
                long a = v.bytes().addressForRead(v.offset());
                if (level == 0 && (M.readInt(a) & rangeBit(lba)) != 0) {
                    key = fineKey(lba);
                    offset = (int) (lba & ((1 << FINE_SHIFT) - 1));
                    continue;
                }
                int n = records(v.size());
                int i = search(a, n, offset);
                if (i >= 0) {
                    if (location != 0) {
                        q.writeLock().lock();
                        writeRecord(recordAddress(a, n, i), location, fpHi, fpLo, crc);
                        return true;
                    }
                    if (n == 1) {
                        return false;
                    }
                    replace(q, e, a, n, i, 0, 0, 0, 0, 0, -1);
                    return true;
                }
                if (location == 0) {
                    return true;
                }
                int at = insertionPoint(a, n, offset);
                if ((level == 0 && n + 1 > LbaMap.COARSE_MAX) || sameGroup(a, n, at, offset) + 1 >= LbaMap.PROMOTE) {
                    return false;
                }
                replace(q, e, a, n, at, offset, location, fpHi, fpLo, crc, 1);
                return true;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** Index of the first of the {@code n} offsets at {@code a + HEADER} above {@code offset}. */
    private static int insertionPoint(long a, int n, int offset) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if ((M.readShort(a + HEADER + 2L * mid) & 0xFFFF) < offset) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Records of the page at {@code a} in the same 8-LBA group as {@code offset}, which would go at index {@code at}. */
    private static int sameGroup(long a, int n, int at, int offset) {
        int group = offset >>> LbaMap.SHIFT;
        int count = 0;
        for (int i = at - 1; i >= 0 && (M.readShort(a + HEADER + 2L * i) & 0xFFFF) >>> LbaMap.SHIFT == group; i--) {
            count++;
        }
        for (int i = at; i < n && (M.readShort(a + HEADER + 2L * i) & 0xFFFF) >>> LbaMap.SHIFT == group; i++) {
            count++;
        }
        return count;
    }

    private static void writeRecord(long r, long location, long fpHi, long fpLo, int crc) {
        M.writeLong(r, location);
        M.writeLong(r + 8, fpHi);
        M.writeLong(r + 16, fpLo);
        M.writeInt(r + 24, crc);
    }

    /**
     * Replaces the page at {@code a} ({@code n} records) by a copy with record {@code i} removed
     * ({@code delta} -1) or a record for {@code offset} inserted at index {@code i} ({@code delta} 1).
     */
    private BytesStore<?, Void> scratch() {
        if (scratch == null) {
            scratch = OffHeap.store(HEADER + (long) SLOT * (1 << COARSE_SHIFT));
        }
        return scratch;
    }

    private void replace(ExternalMapQueryContext<Long, byte[], ?> q, MapEntry<Long, byte[]> e, long a, int n, int i,
                         int offset, long location, long fpHi, long fpLo, int crc, int delta) {
        int m = n + delta;
        long d = scratch.addressForWrite(0);
        M.writeInt(d, M.readInt(a));
        long srcOffs = a + HEADER;
        long dstOffs = d + HEADER;
        long srcRecs = srcOffs + 2L * n;
        long dstRecs = dstOffs + 2L * m;
        M.copyMemory(srcOffs, dstOffs, 2L * i);
        M.copyMemory(srcRecs, dstRecs, (long) LbaMap.RECORD * i);
        if (delta > 0) {
            M.writeShort(dstOffs + 2L * i, (short) offset);
            writeRecord(dstRecs + (long) LbaMap.RECORD * i, location, fpHi, fpLo, crc);
            M.copyMemory(srcOffs + 2L * i, dstOffs + 2L * (i + 1), 2L * (n - i));
            M.copyMemory(srcRecs + (long) LbaMap.RECORD * i, dstRecs + (long) LbaMap.RECORD * (i + 1), (long) LbaMap.RECORD * (n - i));
        } else {
            M.copyMemory(srcOffs + 2L * (i + 1), dstOffs + 2L * i, 2L * (n - i - 1));
            M.copyMemory(srcRecs + (long) LbaMap.RECORD * (i + 1), dstRecs + (long) LbaMap.RECORD * i, (long) LbaMap.RECORD * (n - i - 1));
        }
        q.replaceValue(e, q.wrapValueBytesAsData(scratch, 0, HEADER + (long) SLOT * m));
        mapped.add(delta);
    }

    /** Appends the records of page {@code key} (first LBA {@code base}) to {@code out}; returns its split mask (0..2^32-1), -1 if absent. */
    long load(long key, long base, RecordList out) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(key))) {
            MapEntry<Long, byte[]> e = q.entry();
            if (e == null) {
                return -1;
            }
            Data<byte[]> v = e.value();
            long a = v.bytes().addressForRead(v.offset());
            decode(a, v.size(), base, out);
            return M.readInt(a) & 0xFFFFFFFFL;
        }
    }

    private static void decode(long a, long size, long base, RecordList out) {
        int n = records(size);
        long offs = a + HEADER;
        long r = offs + 2L * n;
        for (int i = 0; i < n; i++, r += LbaMap.RECORD) {
            out.add(base + (M.readShort(offs + 2L * i) & 0xFFFF), M.readLong(r), M.readLong(r + 8), M.readLong(r + 16),
                    M.readInt(r + 24));
        }
    }

    /**
     * Makes page {@code key} (first LBA {@code base}) hold {@code list[from, to)} and
     * {@code mask}; removes the page if that is nothing. Writer only.
     */
    void store(long key, long base, int mask, RecordList list, int from, int to) {
        int n = to - from;
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(key))) {
            q.updateLock().lock();
            MapEntry<Long, byte[]> e = q.entry();
            int before = e == null ? 0 : records(e.value().size());
            if (n == 0 && mask == 0) {
                if (e != null) {
                    q.remove(e);
                    mapped.add(-before);
                }
                return;
            }
            long size = HEADER + (long) SLOT * n;
            long a = scratch().addressForWrite(0);
            M.writeInt(a, mask);
            long offs = a + HEADER;
            long r = offs + 2L * n;
            for (int i = from; i < to; i++, r += LbaMap.RECORD) {
                M.writeShort(offs + 2L * (i - from), (short) (list.lba[i] - base));
                M.writeLong(r, list.location[i]);
                M.writeLong(r + 8, list.fpHi[i]);
                M.writeLong(r + 16, list.fpLo[i]);
                M.writeInt(r + 24, list.crc[i]);
            }
            Data<byte[]> d = q.wrapValueBytesAsData(scratch, 0, size);
            if (e == null) {
                q.insert(q.absentEntry(), d);
            } else {
                q.replaceValue(e, d);
            }
            mapped.add(n - before);
        }
    }

    void forEach(LbaMap.Visitor visitor) {
        RecordList one = new RecordList(1 << COARSE_SHIFT);
        map.forEachEntry(e -> {
            Data<Long> k = e.key();
            long key = k.bytes().readLong(k.offset());
            long base;
            if (key < 0 || DenseGroups.isGroupKey(key)) {
                return;
            } else if ((key & FINE_TAG) != 0) {
                base = (key & ~FINE_TAG) << FINE_SHIFT;
            } else {
                base = (key & ~COARSE_TAG) << COARSE_SHIFT;
            }
            Data<byte[]> v = e.value();
            one.clear();
            decode(v.bytes().addressForRead(v.offset()), v.size(), base, one);
            for (int i = 0; i < one.size; i++) {
                visitor.entry(one.lba[i], one.location[i], one.fpHi[i], one.fpLo[i], one.crc[i]);
            }
        });
    }

    @Override
    public void close() {
        if (scratch != null) {
            scratch.releaseLast();
            scratch = null;
        }
    }
}
