package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * The dense groups of an {@link LbaMap}, in its chronicle map: key = {@code LBA / 8} (below
 * {@link PageMap#COARSE_TAG}), value = a constant {@value LbaMap#VALUE_SIZE}-byte group of 8
 * records (record {@code i} for LBA {@code 8 * key + i} at byte {@code 28 * i}, location 0 = no
 * data), updated in place. Readers may run concurrently with the single writer (chronicle segment
 * locks). Does not own the map.
 */
final class DenseGroups implements AutoCloseable {
    private static final Memory M = OS.memory();
    private final ChronicleMap<Long, byte[]> map;
    private final MappedClusters mapped;
    // writer scratch: touched only under the caller's serialisation
    private final LongKey writeKey = new LongKey();
    private final BytesStore<?, Void> newGroup = OffHeap.store(LbaMap.VALUE_SIZE);

    /** @param mapped told of every record the writer adds or removes */
    DenseGroups(ChronicleMap<Long, byte[]> map, MappedClusters mapped) {
        this.map = map;
        this.mapped = mapped;
    }

    /** Fills {@code out} and returns true if {@code lba} has data here. */
    boolean find(long lba, LbaEntry out, LongKey key) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(key.set(lba >>> LbaMap.SHIFT))) {
            MapEntry<Long, byte[]> e = q.entry();
            if (e == null) {
                return false;
            }
            Data<byte[]> v = e.value();
            long r = v.bytes().addressForRead(v.offset()) + (lba & (LbaMap.GROUP - 1)) * LbaMap.RECORD;
            long loc = M.readLong(r);
            if (loc == 0) {
                return false;
            }
            out.location = loc;
            out.fpHi = M.readLong(r + 8);
            out.fpLo = M.readLong(r + 16);
            out.crc = M.readInt(r + 24);
            return true;
        }
    }

    /**
     * Applies {@code u} to {@code group} in place if the group has an entry (removing the entry
     * when no data is left) and returns true; returns false and changes nothing if it has none.
     */
    boolean applyIfPresent(long group, GroupUpdate u) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(group))) {
            q.updateLock().lock();
            MapEntry<Long, byte[]> e = q.entry();
            if (e == null) {
                return false;
            }
            Data<byte[]> v = e.value();
            long a = v.bytes().addressForRead(v.offset());
            int present = presentAmong(a, u.set | u.remove);
            if (u.set == 0 && isEmptyAfter(a, u.remove)) {
                q.remove(e);
                mapped.add(-present);
                return true;
            }
            q.writeLock().lock();
            write(a, u);
            mapped.add(Integer.bitCount(u.set) - present);
            return true;
        }
    }

    /** Inserts a new group holding the records set in {@code u}; the group must have no entry. */
    void insert(long group, GroupUpdate u) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(group))) {
            q.updateLock().lock();
            if (q.entry() != null) {
                throw new IllegalStateException("LBA group " + group + " already has a dense entry");
            }
            long a = newGroup.addressForWrite(0);
            M.setMemory(a, LbaMap.VALUE_SIZE, (byte) 0);
            write(a, u);
            q.insert(q.absentEntry(), q.wrapValueBytesAsData(newGroup, 0, LbaMap.VALUE_SIZE));
            mapped.add(Integer.bitCount(u.set));
        }
    }

    private static void write(long group, GroupUpdate u) {
        for (int i = 0; i < LbaMap.GROUP; i++) {
            int bit = 1 << i;
            long r = group + (long) i * LbaMap.RECORD;
            if ((u.set & bit) != 0) {
                M.writeLong(r, u.location[i]);
                M.writeLong(r + 8, u.fpHi[i]);
                M.writeLong(r + 16, u.fpLo[i]);
                M.writeInt(r + 24, u.crc[i]);
            } else if ((u.remove & bit) != 0) {
                M.setMemory(r, LbaMap.RECORD, (byte) 0);
            }
        }
    }

    /** How many of the LBAs in {@code bits} have data in the group at {@code group}. */
    private static int presentAmong(long group, int bits) {
        int n = 0;
        for (int i = 0; i < LbaMap.GROUP; i++) {
            if ((bits & (1 << i)) != 0 && M.readLong(group + (long) i * LbaMap.RECORD) != 0) {
                n++;
            }
        }
        return n;
    }

    /** True if the group at {@code group} has no data once the LBAs in {@code remove} are removed. */
    private static boolean isEmptyAfter(long group, int remove) {
        for (int i = 0; i < LbaMap.GROUP; i++) {
            if ((remove & (1 << i)) == 0 && M.readLong(group + (long) i * LbaMap.RECORD) != 0) {
                return false;
            }
        }
        return true;
    }

    /** True if {@code key} is a dense group's key (not a page, not the header). */
    static boolean isGroupKey(long key) {
        return key >= 0 && key < PageMap.COARSE_TAG;
    }

    void forEach(LbaMap.Visitor visitor) {
        map.forEachEntry(e -> {
            Data<Long> k = e.key();
            long group = k.bytes().readLong(k.offset());
            if (!isGroupKey(group)) {
                return;
            }
            Data<byte[]> v = e.value();
            long a = v.bytes().addressForRead(v.offset());
            for (int i = 0; i < LbaMap.GROUP; i++) {
                long r = a + (long) i * LbaMap.RECORD;
                long loc = M.readLong(r);
                if (loc != 0) {
                    visitor.entry((group << LbaMap.SHIFT) + i, loc, M.readLong(r + 8), M.readLong(r + 16), M.readInt(r + 24));
                }
            }
        });
    }

    @Override
    public void close() {
        newGroup.releaseLast();
    }
}
