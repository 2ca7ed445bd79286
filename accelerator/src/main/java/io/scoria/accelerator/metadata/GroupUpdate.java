package io.scoria.accelerator.metadata;

/**
 * The change to one group of {@link LbaMap#GROUP} consecutive LBAs: which LBAs get a new
 * record, which lose theirs (location 0), and the new records. Reused scratch; not thread-safe.
 */
final class GroupUpdate {
    int set;
    int remove;
    final long[] location = new long[LbaMap.GROUP];
    final long[] fpHi = new long[LbaMap.GROUP];
    final long[] fpLo = new long[LbaMap.GROUP];
    final int[] crc = new int[LbaMap.GROUP];

    void reset() {
        set = 0;
        remove = 0;
    }

    /** Records LBA {@code i} of the group; a later call for the same {@code i} wins. */
    void put(int i, long loc, long hi, long lo, int dataCrc) {
        int bit = 1 << i;
        if (loc == 0) {
            set &= ~bit;
            remove |= bit;
        } else {
            set |= bit;
            remove &= ~bit;
            location[i] = loc;
            fpHi[i] = hi;
            fpLo[i] = lo;
            crc[i] = dataCrc;
        }
    }
}
