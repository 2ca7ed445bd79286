package io.scoria.accelerator.metadata;

/**
 * Records of one region sorted by LBA, in reusable heap arrays (location 0 = a removal when the
 * list holds updates). Scratch of the map's single writer; fixed capacity, so nothing grows with
 * the volume. Not thread-safe.
 */
final class RecordList {
    int size;
    final long[] lba;
    final long[] location;
    final long[] fpHi;
    final long[] fpLo;
    final int[] crc;

    RecordList(int capacity) {
        lba = new long[capacity];
        location = new long[capacity];
        fpHi = new long[capacity];
        fpLo = new long[capacity];
        crc = new int[capacity];
    }

    void clear() {
        size = 0;
    }

    void add(long l, long loc, long hi, long lo, int c) {
        int i = size++;
        lba[i] = l;
        location[i] = loc;
        fpHi[i] = hi;
        fpLo[i] = lo;
        crc[i] = c;
    }

    void addFrom(RecordList o, int i) {
        add(o.lba[i], o.location[i], o.fpHi[i], o.fpLo[i], o.crc[i]);
    }

    /** Moves entry {@code from} to {@code to} (compaction in place). */
    void move(int from, int to) {
        lba[to] = lba[from];
        location[to] = location[from];
        fpHi[to] = fpHi[from];
        fpLo[to] = fpLo[from];
        crc[to] = crc[from];
    }

    /**
     * {@code out} = this list with {@code updates[from, to)} merged in (both sorted by LBA, LBAs
     * unique in each): an update replaces the record of its LBA, location 0 drops it.
     */
    void mergeInto(RecordList updates, int from, int to, RecordList out) {
        out.clear();
        int i = 0;
        int u = from;
        while (i < size || u < to) {
            if (u == to || (i < size && lba[i] < updates.lba[u])) {
                out.addFrom(this, i++);
            } else {
                if (i < size && lba[i] == updates.lba[u]) {
                    i++;
                }
                if (updates.location[u] != 0) {
                    out.addFrom(updates, u);
                }
                u++;
            }
        }
    }
}
