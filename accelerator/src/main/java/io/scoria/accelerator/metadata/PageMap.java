package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

import java.io.File;
import java.io.IOException;

/**
 * The sparse half of an {@link LbaMap}: pages of records of scattered LBAs, in a chronicle map
 * with variable-size values. A coarse page (key {@code LBA >>> 12}) covers 4096 LBAs, a fine
 * page (key {@code FINE_TAG | LBA >>> 7}) 128 LBAs. Value: int split mask (coarse pages: bit
 * {@code r} set = the records of LBAs {@code 128 r .. 128 r + 127} of the page live in their fine
 * page, none in this one; fine pages: 0), then the {@code n} present LBAs' offsets from the
 * page's first LBA (u16 each, ascending), then their {@code n} records of 28 bytes in the same
 * order (location, fingerprint high, low, data CRC; native byte order). Size = 4 + 30 n. Key -1
 * holds the header (magic, format, pairing id). Readers may run concurrently with the single
 * writer: each page is replaced as a whole under chronicle's segment lock.
 */
final class PageMap implements AutoCloseable {
    static final int COARSE_SHIFT = 12;
    static final int FINE_SHIFT = 7;
    static final long FINE_TAG = 1L << 62;
    static final int HEADER = 4;
    static final int SLOT = 2 + LbaMap.RECORD;
    private static final int META_SIZE = 16;
    private static final Memory M = OS.memory();
    private final ChronicleMap<Long, byte[]> map;
    // writer scratch: touched only under the caller's serialisation
    private final LongKey writeKey = new LongKey();
    private final BytesStore<?, Void> scratch = LbaMap.store(HEADER + (long) SLOT * (1 << COARSE_SHIFT));

    PageMap(File file, long entries, double averageValueSize) throws IOException {
        map = ChronicleMap.of(Long.class, byte[].class)
                .name("lba-map-v" + LbaMap.VERSION + "-pages")
                .entries(entries)
                .averageValueSize(averageValueSize)
                .maxBloatFactor(1000)
                .checksumEntries(false)
                .createPersistedTo(file);
    }

    static long coarseKey(long lba) {
        return lba >>> COARSE_SHIFT;
    }

    static long fineKey(long lba) {
        return FINE_TAG | (lba >>> FINE_SHIFT);
    }

    /** Bit of {@code lba}'s fine range in its coarse page's split mask. */
    static int rangeBit(long lba) {
        return 1 << (int) ((lba >>> FINE_SHIFT) & 31);
    }

    /** Same contract as {@link DenseGroups#header}. */
    long header(String what, long newPairId) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(LbaMap.META_KEY))) {
            q.updateLock().lock();
            MapEntry<Long, byte[]> e = q.entry();
            if (e != null) {
                Data<byte[]> v = e.value();
                long a = v.bytes().addressForRead(v.offset());
                if (v.size() != META_SIZE || M.readInt(a) != LbaMap.PAGES_MAGIC || M.readInt(a + 4) != LbaMap.VERSION) {
                    throw new LbaMapFormatException(what + " is not an LBA page map of format " + LbaMap.VERSION);
                }
                return M.readLong(a + 8);
            }
            if (map.longSize() != 0) {
                throw new LbaMapFormatException(what + " holds " + map.longSize() + " entries but no LBA map header");
            }
            if (newPairId == 0) {
                return -1;
            }
            long a = scratch.addressForWrite(0);
            M.writeInt(a, LbaMap.PAGES_MAGIC);
            M.writeInt(a + 4, LbaMap.VERSION);
            M.writeLong(a + 8, newPairId);
            q.insert(q.absentEntry(), q.wrapValueBytesAsData(scratch, 0, META_SIZE));
            return newPairId;
        }
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
        int n = (int) ((size - HEADER) / SLOT);
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
     * Overwrites the record of {@code lba} in place if its page holds one and returns true;
     * returns false and changes nothing otherwise. Writer only.
     */
    boolean overwrite(long lba, long location, long fpHi, long fpLo, int crc) {
        long key = coarseKey(lba);
        int offset = (int) (lba & ((1 << COARSE_SHIFT) - 1));
        for (int level = 0; level < 2; level++) {
            try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(key))) {
                q.updateLock().lock();
                MapEntry<Long, byte[]> e = q.entry();
                if (e == null) {
                    return false;
                }
                Data<byte[]> v = e.value();
                long a = v.bytes().addressForRead(v.offset());
                if (level == 0 && (M.readInt(a) & rangeBit(lba)) != 0) {
                    key = fineKey(lba);
                    offset = (int) (lba & ((1 << FINE_SHIFT) - 1));
                    continue;
                }
                int n = (int) ((v.size() - HEADER) / SLOT);
                int i = search(a, n, offset);
                if (i < 0) {
                    return false;
                }
                q.writeLock().lock();
                long r = recordAddress(a, n, i);
                M.writeLong(r, location);
                M.writeLong(r + 8, fpHi);
                M.writeLong(r + 16, fpLo);
                M.writeInt(r + 24, crc);
                return true;
            }
        }
        throw new IllegalStateException("unreachable");
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
        int n = (int) ((size - HEADER) / SLOT);
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
            if (n == 0 && mask == 0) {
                if (e != null) {
                    q.remove(e);
                }
                return;
            }
            long size = HEADER + (long) SLOT * n;
            long a = scratch.addressForWrite(0);
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
        }
    }

    void forEach(LbaMap.Visitor visitor) {
        RecordList one = new RecordList(1 << COARSE_SHIFT);
        map.forEachEntry(e -> {
            Data<Long> k = e.key();
            long key = k.bytes().readLong(k.offset());
            if (key == LbaMap.META_KEY) {
                return;
            }
            long base = (key & FINE_TAG) != 0 ? (key & ~FINE_TAG) << FINE_SHIFT : key << COARSE_SHIFT;
            Data<byte[]> v = e.value();
            one.clear();
            decode(v.bytes().addressForRead(v.offset()), v.size(), base, one);
            for (int i = 0; i < one.size; i++) {
                visitor.entry(one.lba[i], one.location[i], one.fpHi[i], one.fpLo[i], one.crc[i]);
            }
        });
    }

    /** Entries including the header. */
    long size() {
        return map.longSize();
    }

    void clear() {
        map.clear();
    }

    long bytesOnFlash() {
        return map.offHeapMemoryUsed();
    }

    @Override
    public void close() {
        try {
            map.close();
        } finally {
            scratch.releaseLast();
        }
    }
}
