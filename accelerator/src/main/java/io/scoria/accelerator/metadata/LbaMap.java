package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.io.SingleThreadedChecked;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A volume's LBA map: LBA → (ClusterLocation, fingerprint, data CRC), persisted off-heap in a
 * chronicle-map file on local flash, so heap use does not grow with the volume size. Only
 * clusters holding data have records (zero and trimmed clusters are absent). A record is 28
 * bytes: location 8 B, fingerprint high 8 B, fingerprint low 8 B, data CRC32C 4 B, native byte
 * order; location 0 means "no data".
 *
 * <p>Format {@value #VERSION}: one chronicle map ({@code long} keys, variable-size values) with
 * three kinds of entries; each LBA's record is in exactly one of them:
 * <ul>
 * <li><b>dense groups</b> ({@link DenseGroups}): key = {@code LBA / 8}, a constant
 *     {@value #VALUE_SIZE}-byte value of 8 records updated in place; for LBAs whose 8-LBA group
 *     holds many records;</li>
 * <li><b>coarse pages</b> ({@link PageMap}): key = {@code 2^61 | LBA >>> 12}, a value holding only
 *     the present records of those 4096 LBAs, sorted, with a u16 offset each (30 bytes per
 *     record), at most {@value #COARSE_MAX} records;</li>
 * <li><b>fine pages</b>: key = {@code 2^62 | LBA >>> 7}, the same for 128 LBAs, once a coarse page
 *     would exceed {@value #COARSE_MAX} records (the coarse page's split mask then says which of
 *     its 32 ranges live in fine pages).</li>
 * </ul>
 * A group whose records in a page reach {@value #PROMOTE} moves to a dense group (a dense group
 * costs about 250 bytes on flash, a page record about 35); a dense group whose records are all
 * removed is removed; nothing moves back. Writes of an LBA whose group is dense, or whose record
 * exists in a page, are made in place. Key -1 holds the header (magic, format). Scattered LBAs
 * share page entries (chronicle costs roughly 25 bytes per entry on top of the value), so the
 * map stays small for sparse and dense volumes alike; pages and dense groups share one file, so
 * the space pages free when their groups become dense is reused.
 *
 * <p>Thread-safety: {@link #get} may run concurrently with anything; {@link #put}, {@link #clear},
 * {@link LbaBatch#flush} and {@link #close} must be serialised by the caller (the volume's write
 * lock). The writer inserts a moved record at its destination before it removes it at the source,
 * and counts moves in a volatile sequence number that is odd while records move; a {@code get}
 * that finds no record while the number changed looks again, so a reader never sees "no data" for
 * an LBA that has data.
 */
public final class LbaMap implements AutoCloseable {
    /** File name of the map inside a volume directory; changes with the format. */
    public static final String FILE_NAME = "lba-v3.map";
    static final int VERSION = 3;
    static final int GROUP = 8;
    static final int SHIFT = 3;
    static final int RECORD = 28;
    static final int VALUE_SIZE = GROUP * RECORD;
    static final int MAGIC = 0x3341424C; // "LBA3"
    static final long META_KEY = -1L;
    private static final int HEADER_SIZE = 16;
    /** Chronicle's sizing hint: a dense group's 224 bytes, and about what a coarse page of 7-8 records takes. */
    private static final double AVERAGE_VALUE = VALUE_SIZE;
    /**
     * Chronicle's allocation unit: a dense group's entry (8-byte key, 2-byte value size, 224-byte
     * value) is exactly 6 chunks, and a page wastes at most 38 bytes (dense pattern of
     * {@code MetadataFootprint}: 35.3 bytes per cluster, 39.3 with chronicle's default chunk).
     */
    private static final int CHUNK = 39;
    /** Records of one group in a page that make it a dense group. */
    static final int PROMOTE = 7;
    /** Records a coarse page may hold before ranges of it split off into fine pages. */
    static final int COARSE_MAX = 64;
    private static final int REGION = 1 << PageMap.COARSE_SHIFT;

    private final Path file;
    private final ChronicleMap<Long, byte[]> map;
    private final DenseGroups dense;
    private final PageMap pages;
    /** Clusters of the volume; changes only by {@link #resize}, under the caller's serialisation. */
    private volatile long clusters;
    private final ThreadLocal<LongKey> readKeys = ThreadLocal.withInitial(LongKey::new);
    /** Odd while the writer may be moving records between entries; see the class comment. */
    private volatile long moves;
    private final LongKey writeKey = new LongKey();
    // writer state: touched only under the caller's serialisation
    private final GroupUpdate single = new GroupUpdate();
    private final GroupUpdate promoted = new GroupUpdate();
    private final RecordList one = new RecordList(1);
    private final RecordList coarse = new RecordList(REGION);
    private final RecordList fine = new RecordList(1 << PageMap.FINE_SHIFT);
    private final RecordList coarseUpdates = new RecordList(REGION);
    private final RecordList merged = new RecordList(REGION);
    private boolean closed;

    private LbaMap(Path file, ChronicleMap<Long, byte[]> map, long clusters) {
        this.file = file;
        this.map = map;
        this.dense = new DenseGroups(map);
        this.pages = new PageMap(map);
        this.clusters = clusters;
    }

    /**
     * Opens or creates the map file for a volume of {@code clusters} clusters; chronicle is sized
     * for {@code min(clusters, expectedClusters)} written clusters and grows in tiers.
     *
     * @throws LbaMapFormatException if the file exists but is not an LBA map of this format
     */
    public static LbaMap open(Path file, long clusters, long expectedClusters) {
        if (clusters <= 0) {
            throw new IllegalArgumentException("clusters must be positive: " + clusters);
        }
        long expected = Math.min(clusters, expectedClusters);
        long entries = Math.max(1024, Math.min((clusters + GROUP - 1) >> SHIFT, (expected + GROUP - 1) >> SHIFT));
        ChronicleMap<Long, byte[]> m;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            m = ChronicleMap.of(Long.class, byte[].class)
                    .name("lba-map-v" + VERSION)
                    .entries(entries)
                    .averageValueSize(AVERAGE_VALUE)
                    .actualChunkSize(CHUNK)
                    .maxBloatFactor(1000)
                    // the map is rebuilt from the TLogs after any unclean stop, so per-entry checksums buy nothing
                    .checksumEntries(false)
                    .createPersistedTo(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open LBA map " + file, e);
        } catch (RuntimeException e) {
            throw new LbaMapFormatException("cannot open " + file + " as an LBA map of format " + VERSION + ": " + e);
        }
        LbaMap lm = new LbaMap(file, m, clusters);
        try {
            lm.checkOrWriteHeader();
            return lm;
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    private void checkOrWriteHeader() {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(META_KEY))) {
            q.updateLock().lock();
            MapEntry<Long, byte[]> e = q.entry();
            if (e != null) {
                Data<byte[]> v = e.value();
                if (v.size() != HEADER_SIZE || v.bytes().readInt(v.offset()) != MAGIC || v.bytes().readInt(v.offset() + 4) != VERSION) {
                    throw new LbaMapFormatException(file + " is not an LBA map of format " + VERSION);
                }
                return;
            }
            if (map.longSize() != 0) {
                throw new LbaMapFormatException(file + " holds " + map.longSize() + " entries but no LBA map header");
            }
            byte[] header = new byte[HEADER_SIZE];
            java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.nativeOrder()).putInt(MAGIC).putInt(VERSION);
            q.insert(q.absentEntry(), q.wrapValueAsData(header));
        }
    }

    /** Fills {@code out}; a cluster without data gets location 0 and fingerprint 0. Allocation-free. */
    public void get(long lba, LbaEntry out) {
        LongKey key = readKeys.get();
        for (;;) {
            long before = moves;
            if (dense.find(lba, out, key) || pages.find(lba, out, key)) {
                return;
            }
            if ((before & 1) == 0 && moves == before) {
                break;
            }
            Thread.onSpinWait(); // the writer moved records meanwhile: look again
        }
        out.location = 0;
        out.fpHi = 0;
        out.fpLo = 0;
        out.crc = 0;
    }

    /** Sets one LBA; {@code location == 0} removes its data. Caller serialises puts. */
    public void put(long lba, long location, long fpHi, long fpLo, int crc) {
        checkLba(lba);
        single.reset();
        single.put((int) (lba & (GROUP - 1)), location, fpHi, fpLo, crc);
        if (dense.applyIfPresent(lba >>> SHIFT, single)) {
            return;
        }
        if (pages.putSingle(lba, location, fpHi, fpLo, crc)) {
            return;
        }
        one.clear();
        one.add(lba, location, fpHi, fpLo, crc);
        applyRegion(lba >>> PageMap.COARSE_SHIFT, one);
    }

    void checkLba(long lba) {
        if (lba < 0 || lba >= clusters) {
            throw new IllegalArgumentException("LBA " + lba + " outside the volume's " + clusters + " clusters");
        }
    }

    /**
     * A buffer for bulk updates (TLog replay): puts are sorted by LBA, the last one per LBA wins,
     * each dense group is written with one map update and each touched page region with one
     * read and one write per page. Holds up to {@code capacity} puts (less for volumes above
     * 2^39 clusters) before it applies them by itself. Caller serialises.
     */
    public LbaBatch batch(int capacity) {
        return new LbaBatch(this, capacity);
    }

    long clusters() {
        return clusters;
    }

    /**
     * Changes the number of clusters (online resize). The caller excludes every other use of the map
     * and has made sure no record lies at or past {@code newClusters}.
     */
    public void resize(long newClusters) {
        if (newClusters <= 0) {
            throw new IllegalArgumentException("clusters must be positive: " + newClusters);
        }
        clusters = newClusters;
    }

    /** Updates per page region that {@link #applyRegion} accepts at most. */
    static int regionSize() {
        return REGION;
    }

    /**
     * Applies {@code u} to {@code group} in place if it is a dense group; otherwise appends its
     * updates (removals as location 0), in LBA order, to {@code pageUpdates}.
     */
    void applyGroup(long group, GroupUpdate u, RecordList pageUpdates) {
        if (dense.applyIfPresent(group, u)) {
            return;
        }
        for (int i = 0; i < GROUP; i++) {
            int bit = 1 << i;
            if ((u.set & bit) != 0) {
                pageUpdates.add((group << SHIFT) + i, u.location[i], u.fpHi[i], u.fpLo[i], u.crc[i]);
            } else if ((u.remove & bit) != 0) {
                pageUpdates.add((group << SHIFT) + i, 0, 0, 0, 0);
            }
        }
    }

    /**
     * Applies {@code updates} (sorted by LBA, unique, all inside coarse page {@code region}, none
     * in a dense group; location 0 removes) to the pages of that region, then promotes groups
     * that reached {@link #PROMOTE} records and splits the coarse page if it holds more than
     * {@link #COARSE_MAX}. Destinations are written before sources; {@link #moves} is odd meanwhile.
     */
    void applyRegion(long region, RecordList updates) {
        moves++;
        try {
            long base = region << PageMap.COARSE_SHIFT;
            coarse.clear();
            long coarseKey = PageMap.COARSE_TAG | region;
            long loaded = pages.load(coarseKey, base, coarse);
            boolean existed = loaded >= 0;
            int oldMask = existed ? (int) loaded : 0;
            int mask = oldMask;
            coarseUpdates.clear();
            int i = 0;
            while (i < updates.size) {
                long fineKey = PageMap.fineKey(updates.lba[i]);
                int j = i + 1;
                while (j < updates.size && PageMap.fineKey(updates.lba[j]) == fineKey) {
                    j++;
                }
                int bit = PageMap.rangeBit(updates.lba[i]);
                if ((mask & bit) != 0) {
                    long fineBase = (updates.lba[i] >>> PageMap.FINE_SHIFT) << PageMap.FINE_SHIFT;
                    fine.clear();
                    pages.load(fineKey, fineBase, fine);
                    fine.mergeInto(updates, i, j, merged);
                    promote(merged);
                    pages.store(fineKey, fineBase, 0, merged, 0, merged.size);
                    if (merged.size == 0) {
                        mask &= ~bit;
                    }
                } else {
                    for (int k = i; k < j; k++) {
                        coarseUpdates.addFrom(updates, k);
                    }
                }
                i = j;
            }
            if (coarseUpdates.size == 0 && mask == oldMask && existed) {
                return;
            }
            coarse.mergeInto(coarseUpdates, 0, coarseUpdates.size, merged);
            promote(merged);
            while (merged.size > COARSE_MAX) {
                mask |= splitLargestRange(merged);
            }
            if (existed || merged.size > 0 || mask != 0) {
                pages.store(coarseKey, base, mask, merged, 0, merged.size);
            }
        } finally {
            moves++;
        }
    }

    /** Moves the groups of {@code l} that hold at least {@link #PROMOTE} records into new dense groups. */
    private void promote(RecordList l) {
        int w = 0;
        int i = 0;
        while (i < l.size) {
            long group = l.lba[i] >>> SHIFT;
            int j = i + 1;
            while (j < l.size && l.lba[j] >>> SHIFT == group) {
                j++;
            }
            if (j - i >= PROMOTE) {
                promoted.reset();
                for (int k = i; k < j; k++) {
                    promoted.put((int) (l.lba[k] & (GROUP - 1)), l.location[k], l.fpHi[k], l.fpLo[k], l.crc[k]);
                }
                dense.insert(group, promoted);
            } else {
                for (int k = i; k < j; k++, w++) {
                    if (w != k) {
                        l.move(k, w);
                    }
                }
            }
            i = j;
        }
        l.size = w;
    }

    /** Writes the fine range of coarse-page list {@code l} with most records to its fine page, drops it from {@code l}; returns its bit. */
    private int splitLargestRange(RecordList l) {
        int best = 0;
        int bestCount = 0;
        int i = 0;
        int bestFrom = 0;
        while (i < l.size) {
            long range = l.lba[i] >>> PageMap.FINE_SHIFT;
            int j = i + 1;
            while (j < l.size && l.lba[j] >>> PageMap.FINE_SHIFT == range) {
                j++;
            }
            if (j - i > bestCount) {
                bestCount = j - i;
                bestFrom = i;
                best = PageMap.rangeBit(l.lba[i]);
            }
            i = j;
        }
        long lba = l.lba[bestFrom];
        pages.store(PageMap.fineKey(lba), (lba >>> PageMap.FINE_SHIFT) << PageMap.FINE_SHIFT, 0, l, bestFrom, bestFrom + bestCount);
        for (int k = bestFrom + bestCount; k < l.size; k++) {
            l.move(k, k - bestCount);
        }
        l.size -= bestCount;
        return best;
    }

    /** Removes every entry. Caller serialises. */
    public void clear() {
        map.clear();
        checkOrWriteHeader();
    }

    /** Visits every LBA with data (order unspecified). Not concurrently with puts. */
    public void forEach(Visitor visitor) {
        dense.forEach(visitor);
        pages.forEach(visitor);
    }

    /** Receives map entries. */
    public interface Visitor {
        void entry(long lba, long location, long fpHi, long fpLo, int crc);
    }

    /** Map entries holding data: dense groups plus pages. */
    public long entries() {
        return map.longSize() - 1;
    }

    /** Dense groups among {@link #entries}; walks the whole map. Not concurrently with puts. */
    public long denseGroups() {
        long[] n = new long[1];
        map.forEachEntry(e -> {
            if (DenseGroups.isGroupKey(e.key().bytes().readLong(e.key().offset()))) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** Off-heap bytes chronicle has allocated for the file (the file is preallocated, so also its size on flash). */
    public long bytesOnFlash() {
        return map.offHeapMemoryUsed();
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            try {
                map.close();
            } finally {
                dense.close();
                pages.close();
            }
        }
    }

    /** An off-heap store usable from whichever thread holds the caller's lock; the owner releases it. */
    static BytesStore<?, Void> store(long size) {
        return anyThread(BytesStore.nativeStoreWithFixedCapacity(size));
    }

    static <S extends BytesStore<?, ?>> S anyThread(S s) {
        if (s instanceof SingleThreadedChecked c) {
            c.singleThreadedCheckDisabled(true);
        }
        return s;
    }
}
