package io.scoria.accelerator.metadata;

import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * The number of LBAs with a record in an {@link LbaMap} (clusters holding data), kept by the map's
 * writer on every change so that reading it costs nothing: {@link DenseGroups} and {@link PageMap}
 * add what each of their updates adds or removes (a record moving from a page to a dense group is
 * removed from one and added to the other). Not stored on flash: {@link #count} derives it from
 * the file when the map is opened (after a clean stop; after an unclean one the volume empties the
 * map and replays its TLogs, which counts as it goes).
 *
 * <p>Thread-safety: {@link #add} and {@link #set} only by the map's single writer (under the
 * caller's serialisation, as {@link LbaMap#put}); {@link #get} from any thread.
 */
final class MappedClusters {
    private static final Memory M = OS.memory();
    private volatile long value;

    long get() {
        return value;
    }

    /** Writer only: adds {@code delta} (negative when records were removed). */
    void add(long delta) {
        if (delta != 0) {
            value = value + delta;
        }
    }

    /** Writer only. */
    void set(long count) {
        if (count < 0) {
            throw new IllegalArgumentException("a count of records cannot be negative: " + count);
        }
        value = count;
    }

    /**
     * Counts the records in {@code map} by walking its entries (one per dense group or page, not
     * one per LBA): a dense group's records with a location, a page's records from its size. No
     * writer may run meanwhile.
     */
    static long count(ChronicleMap<Long, byte[]> map) {
        long[] n = {0};
        map.forEachEntry(e -> {
            Data<Long> k = e.key();
            long key = k.bytes().readLong(k.offset());
            if (key < 0) {
                return; // the header
            }
            Data<byte[]> v = e.value();
            if (DenseGroups.isGroupKey(key)) {
                long a = v.bytes().addressForRead(v.offset());
                for (int i = 0; i < LbaMap.GROUP; i++) {
                    if (M.readLong(a + (long) i * LbaMap.RECORD) != 0) {
                        n[0]++;
                    }
                }
            } else {
                n[0] += PageMap.records(v.size());
            }
        });
        return n[0];
    }
}
