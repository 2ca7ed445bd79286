package io.scoria.accelerator.metadata;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Consumer;

import static io.scoria.accelerator.metadata.ParentLayer.TOMBSTONE;

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
 *
 * <p>Size on flash follows what is written, not the volume's size ({@link MapFile}): a new map's
 * file is created for a few thousand entries (about 0.3 MiB), chronicle adds tiers as it fills,
 * and once it holds {@value #REBUILD_FACTOR} times the entries it was created for the writer
 * rebuilds it for what it holds and swaps it in; readers hold a shared {@link StampedLock} only
 * to be excluded from that swap (and from {@link #close}). A crash at any step of a rebuild leaves
 * a complete map file in place (the old one until the atomic rename, the new one after it) and at
 * most a side file that the next {@link #open} deletes; the volume discards the map after an
 * unclean stop anyway and replays its TLogs. A rebuild that fails (no space for the side file)
 * leaves the file in place and is tried again later: the write that triggered it does not fail.
 * The writer's scratch is allocated on its first region update ({@link PageRegionWriter}).
 */
public final class LbaMap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LbaMap.class);
    /** File name of the map inside a volume directory; changes with the format. */
    public static final String FILE_NAME = "lba-v3.map";
    static final int VERSION = 3;
    static final int GROUP = 8;
    static final int SHIFT = 3;
    static final int RECORD = 28;
    static final int VALUE_SIZE = GROUP * RECORD;
    static final int MAGIC = 0x3341424C; // "LBA3"
    static final long META_KEY = -1L;
    /** Records of one group in a page that make it a dense group. */
    static final int PROMOTE = 7;
    /** Records a coarse page may hold before ranges of it split off into fine pages. */
    static final int COARSE_MAX = 64;
    /** A file holding this many times the entries it was created for is rebuilt for what it holds. */
    static final long REBUILD_FACTOR = 4;
    /** Writer operations between two checks of the file's fill. */
    private static final int CHECK_EVERY = 256;
    private static final int REGION = 1 << PageMap.COARSE_SHIFT;

    /** Clusters of the volume; changes only by {@link #resize}, under the caller's serialisation. */
    private volatile long clusters;
    private final ThreadLocal<LongKey> readKeys = ThreadLocal.withInitial(LongKey::new);
    /** Readers hold it shared; the writer takes it exclusively only to swap in a rebuilt file. */
    private final StampedLock swap = new StampedLock();
    private MapFile file;
    private DenseGroups dense;
    private PageMap pages;
    private final MappedClusters mapped = new MappedClusters();
    /** Odd while the writer may be moving records between entries; see the class comment. */
    private volatile long moves;
    // writer state: touched only under the caller's serialisation
    private final GroupUpdate single = new GroupUpdate();
    private final RecordList one = new RecordList(1);
    /** Writer of {@link #applyRegion}, allocated on its first use (an idle volume never needs its scratch). */
    private PageRegionWriter regions;
    private int sinceCheck;
    /** Entries below which no rebuild is tried again after one failed. */
    private long retryAt;
    /** Told of each step of a rebuild (tests stop a process there). */
    private Consumer<MapFile.Step> growthSteps = MapFile.NO_STEPS;
    /** Set under the write lock of {@link #swap}: readers check it under the read lock. */
    private boolean closed;
    /** What a clone inherits where this map has no record (null: nothing); see {@link #layOver}. */
    private volatile ParentLayer parent;

    private LbaMap(MapFile file, long clusters) {
        this.clusters = clusters;
        use(file);
        mapped.set(MappedClusters.count(file.map));
    }

    private void use(MapFile f) {
        this.file = f;
        this.dense = new DenseGroups(f.map, mapped);
        this.pages = new PageMap(f.map, mapped);
    }

    /** Opens or creates the map file for a volume of {@code clusters} clusters; a new file starts small and grows with what is written. */
    public static LbaMap open(Path file, long clusters) {
        return open(file, clusters, 0);
    }

    /**
     * Opens or creates the map file for a volume of {@code clusters} clusters. A new file is sized
     * for {@code min(clusters, expectedClusters)} written clusters (at least
     * {@link MapFile#MIN_CAPACITY} entries) and grows with what is written; an existing file that
     * was created for far more entries than it holds (maps presized to the volume before their
     * header recorded a capacity) is rebuilt to fit, so it stops holding flash it does not use.
     *
     * @throws LbaMapFormatException if the file exists but is not an LBA map of this format
     */
    public static LbaMap open(Path file, long clusters, long expectedClusters) {
        if (clusters <= 0) {
            throw new IllegalArgumentException("clusters must be positive: " + clusters);
        }
        long expected = Math.min(clusters, expectedClusters);
        return new LbaMap(MapFile.openMap(file, (expected + GROUP - 1) >> SHIFT, clusters), clusters);
    }

    /** Fills {@code out}; a cluster without data gets location 0 and fingerprint 0. Allocation-free. */
    public void get(long lba, LbaEntry out) {
        LongKey key = readKeys.get();
        long stamp = swap.readLock();
        try {
            if (closed) {
                throw new IllegalStateException("LBA map " + file.path + " is closed");
            }
            for (;;) {
                long before = moves;
                if (dense.find(lba, out, key) || pages.find(lba, out, key)) {
                    if (out.location == TOMBSTONE) {
                        break; // no data here, whatever the parent holds
                    }
                    return;
                }
                if ((before & 1) == 0 && moves == before) {
                    ParentLayer p = parent;
                    if (p != null) {
                        p.get(lba, out);
                        return;
                    }
                    break;
                }
                Thread.onSpinWait(); // the writer moved records meanwhile: look again
            }
        } finally {
            swap.unlockRead(stamp);
        }
        out.location = 0;
        out.fpHi = 0;
        out.fpLo = 0;
        out.crc = 0;
    }

    /**
     * Lays this map over {@code layer}: an LBA without a record reads what {@code layer} gives, and a
     * removal is kept as a {@link ParentLayer#TOMBSTONE} record. Before the map is shared; null (the clone
     * was flattened: nothing shows through) with no reader or writer running.
     */
    public void layOver(ParentLayer layer) {
        this.parent = layer;
    }

    public boolean layered() {
        return parent != null;
    }

    long stored(long location) {
        return location == 0 && parent != null ? TOMBSTONE : location;
    }

    /** Sets one LBA; {@code location == 0} removes its data. Caller serialises puts. */
    public void put(long lba, long location, long fpHi, long fpLo, int crc) {
        location = stored(location);
        checkLba(lba);
        checkFill();
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

    /**
     * Every {@value #CHECK_EVERY} writer operations: if the file holds {@value #REBUILD_FACTOR}
     * times the entries it was created for, rebuilds it for what it holds ({@link MapFile#copyToSide};
     * chronicle's tiers then absorb the next growth). Readers keep reading the old file meanwhile
     * (the writer, which is the only one changing it, is busy copying) and wait only for the swap.
     */
    void checkFill() {
        if (++sinceCheck < CHECK_EVERY) {
            return;
        }
        sinceCheck = 0;
        if (file.overgrown(REBUILD_FACTOR) && file.entries() >= retryAt) {
            rebuild();
        }
    }

    private void rebuild() {
        try {
            file.copyToSide(file.entries(), clusters, growthSteps);
        } catch (RuntimeException e) {
            // the file in place is complete and chronicle's tiers keep absorbing writes: try again later
            retryAt = 2 * file.entries();
            LOG.warn("cannot rebuild LBA map {} for its {} entries; it stays as it is until it holds {}", file.path,
                    file.entries(), retryAt, e);
            return;
        }
        long stamp = swap.writeLock();
        try {
            Path path = file.path;
            closeFile();
            try {
                use(MapFile.install(path, clusters, growthSteps));
            } catch (RuntimeException e) {
                closed = true; // nothing is open any more: readers get a clear error, close has nothing left to do
                throw e;
            }
        } finally {
            swap.unlockWrite(stamp);
        }
    }

    /** Tells {@code steps} of each step of the rebuilds that follow (tests end the process at one). */
    void onGrowthStep(Consumer<MapFile.Step> steps) {
        this.growthSteps = steps;
    }

    private void closeFile() {
        try {
            file.close();
        } finally {
            dense.close();
            pages.close();
        }
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
     * in a dense group; location 0 removes) to the pages of that region ({@link PageRegionWriter#apply}).
     * Destinations are written before sources; {@link #moves} is odd meanwhile.
     */
    void applyRegion(long region, RecordList updates) {
        if (regions == null) {
            regions = new PageRegionWriter();
        }
        moves++;
        try {
            regions.apply(region, updates, dense, pages);
        } finally {
            moves++;
        }
    }

    /** Removes every entry. Caller serialises. */
    public void clear() {
        file.clearEntries();
        mapped.set(0);
    }

    /**
     * LBAs with data (each mapped cluster counted once), kept by the writer: O(1), from any thread; counted
     * from the file when the map was opened (see {@link MappedClusters}).
     */
    public long mappedClusters() {
        return mapped.get();
    }

    /** Visits every LBA with data (order unspecified). Not concurrently with puts. */
    public void forEach(Visitor visitor) {
        Visitor withData = (lba, location, fpHi, fpLo, crc) -> {
            if (location != TOMBSTONE) {
                visitor.entry(lba, location, fpHi, fpLo, crc);
            }
        };
        dense.forEach(withData);
        pages.forEach(withData);
    }

    /** Receives map entries. */
    public interface Visitor {
        void entry(long lba, long location, long fpHi, long fpLo, int crc);
    }

    /** Map entries holding data: dense groups plus pages. */
    public long entries() {
        return file.entries();
    }

    /** Dense groups among {@link #entries}; walks the whole map. Not concurrently with puts. */
    public long denseGroups() {
        long[] n = new long[1];
        file.map.forEachEntry(e -> {
            if (DenseGroups.isGroupKey(e.key().bytes().readLong(e.key().offset()))) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** Off-heap bytes chronicle has allocated for the file (the file is preallocated, so also its size on flash). */
    public long bytesOnFlash() {
        return file.map.offHeapMemoryUsed();
    }

    public Path file() {
        return file.path;
    }

    /** Entries the current file was created for (it grows by tiers, then by {@link #checkFill}). */
    public long capacity() {
        return file.capacity;
    }

    @Override
    public void close() {
        long stamp = swap.writeLock();
        try {
            if (!closed) {
                closed = true;
                closeFile();
            }
        } finally {
            swap.unlockWrite(stamp);
        }
    }
}
