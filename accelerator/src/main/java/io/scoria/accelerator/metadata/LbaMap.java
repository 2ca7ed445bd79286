package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.core.Memory;
import net.openhft.chronicle.core.OS;
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
 * clusters holding data have records (zero and trimmed clusters are absent).
 *
 * <p>Format {@value #VERSION}: key = {@code LBA / 8} (a {@code long}), value = a constant
 * {@value #VALUE_SIZE}-byte group of 8 records, record {@code i} (LBA {@code 8 * key + i}) at byte
 * {@code 28 * i}: location 8 B, fingerprint high 8 B, fingerprint low 8 B, data CRC32C 4 B, in
 * native byte order; location 0 means "no data". A group without data is no entry. Key -1 holds
 * the header (magic, format). Constant-size values never move inside chronicle, so updates are
 * made in place and the file does not fragment. Reads and writes use the entry's memory
 * directly (no marshalling, no boxing, no allocation).
 *
 * <p>Thread-safety: {@link #get} may run concurrently with anything (chronicle's segment read
 * lock); {@link #put}, {@link #clear}, {@link LbaBatch#flush} and {@link #close} must be
 * serialised by the caller (the volume's write lock).
 */
public final class LbaMap implements AutoCloseable {
    /** File name of the map inside a volume directory; changes with the format. */
    public static final String FILE_NAME = "lba-v2.map";
    static final int VERSION = 2;
    static final int GROUP = 8;
    static final int SHIFT = 3;
    static final int RECORD = 28;
    static final int VALUE_SIZE = GROUP * RECORD;
    private static final int MAGIC = 0x3241424C; // "LBA2"
    private static final long META_KEY = -1L;
    private static final Memory M = OS.memory();

    private final Path file;
    private final ChronicleMap<Long, byte[]> map;
    private final long clusters;
    private final ThreadLocal<LongKey> readKeys = ThreadLocal.withInitial(LongKey::new);
    // writer state: touched only under the caller's serialisation
    private final LongKey writeKey = new LongKey();
    private final BytesStore<?, Void> newGroup = store(VALUE_SIZE);
    private final GroupUpdate single = new GroupUpdate();
    private boolean closed;

    private LbaMap(Path file, ChronicleMap<Long, byte[]> map, long clusters) {
        this.file = file;
        this.map = map;
        this.clusters = clusters;
    }

    /**
     * Opens or creates the map file for a volume of {@code clusters} clusters; chronicle is
     * sized for {@code min(clusters, expectedClusters)} written clusters and grows in tiers.
     *
     * @throws LbaMapFormatException if the file exists but is not an LBA map of this format
     */
    public static LbaMap open(Path file, long clusters, long expectedClusters) {
        if (clusters <= 0) {
            throw new IllegalArgumentException("clusters must be positive: " + clusters);
        }
        long groups = Math.max(1024, Math.min((clusters + GROUP - 1) >> SHIFT, (expectedClusters + GROUP - 1) >> SHIFT));
        ChronicleMap<Long, byte[]> m;
        try {
            Files.createDirectories(file.getParent());
            m = ChronicleMap.of(Long.class, byte[].class)
                    .name("lba-map-v" + VERSION)
                    .entries(groups)
                    .maxBloatFactor(1000)
                    .constantValueSizeBySample(new byte[VALUE_SIZE])
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
                long a = v.bytes().addressForRead(v.offset());
                if (v.size() != VALUE_SIZE || M.readInt(a) != MAGIC || M.readInt(a + 4) != VERSION) {
                    throw new LbaMapFormatException(file + " is not an LBA map of format " + VERSION);
                }
                return;
            }
            if (map.longSize() != 0) {
                throw new LbaMapFormatException(file + " holds " + map.longSize() + " entries but no LBA map header");
            }
            long a = newGroup.addressForWrite(0);
            M.setMemory(a, VALUE_SIZE, (byte) 0);
            M.writeInt(a, MAGIC);
            M.writeInt(a + 4, VERSION);
            q.insert(q.absentEntry(), q.wrapValueBytesAsData(newGroup, 0, VALUE_SIZE));
        }
    }

    /** Fills {@code out}; a cluster without data gets location 0 and fingerprint 0. Allocation-free. */
    public void get(long lba, LbaEntry out) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(readKeys.get().set(lba >>> SHIFT))) {
            MapEntry<Long, byte[]> e = q.entry();
            if (e != null) {
                Data<byte[]> v = e.value();
                long r = v.bytes().addressForRead(v.offset()) + (lba & (GROUP - 1)) * RECORD;
                long loc = M.readLong(r);
                if (loc != 0) {
                    out.location = loc;
                    out.fpHi = M.readLong(r + 8);
                    out.fpLo = M.readLong(r + 16);
                    out.crc = M.readInt(r + 24);
                    return;
                }
            }
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
        apply(lba >>> SHIFT, single);
    }

    void checkLba(long lba) {
        if (lba < 0 || lba >= clusters) {
            throw new IllegalArgumentException("LBA " + lba + " outside the volume's " + clusters + " clusters");
        }
    }

    /**
     * A buffer for bulk updates (TLog replay): puts are sorted by LBA, the last one per LBA wins,
     * and each group is written with one map update. Holds up to {@code capacity} puts (less for
     * volumes above 2^39 clusters) before it applies them by itself. Caller serialises.
     */
    public LbaBatch batch(int capacity) {
        return new LbaBatch(this, capacity);
    }

    long clusters() {
        return clusters;
    }

    /** Applies {@code u} to {@code group} with one map lookup, in place when the group exists. */
    void apply(long group, GroupUpdate u) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(writeKey.set(group))) {
            q.updateLock().lock();
            MapEntry<Long, byte[]> e = q.entry();
            if (e == null) {
                if (u.set == 0) {
                    return;
                }
                long a = newGroup.addressForWrite(0);
                M.setMemory(a, VALUE_SIZE, (byte) 0);
                write(a, u);
                q.insert(q.absentEntry(), q.wrapValueBytesAsData(newGroup, 0, VALUE_SIZE));
                return;
            }
            Data<byte[]> v = e.value();
            long a = v.bytes().addressForRead(v.offset());
            if (u.set == 0 && isEmptyAfter(a, u.remove)) {
                q.remove(e);
                return;
            }
            q.writeLock().lock();
            write(a, u);
        }
    }

    private static void write(long group, GroupUpdate u) {
        for (int i = 0; i < GROUP; i++) {
            int bit = 1 << i;
            long r = group + (long) i * RECORD;
            if ((u.set & bit) != 0) {
                M.writeLong(r, u.location[i]);
                M.writeLong(r + 8, u.fpHi[i]);
                M.writeLong(r + 16, u.fpLo[i]);
                M.writeInt(r + 24, u.crc[i]);
            } else if ((u.remove & bit) != 0) {
                M.setMemory(r, RECORD, (byte) 0);
            }
        }
    }

    /** True if the group at {@code group} has no data once the LBAs in {@code remove} are removed. */
    private static boolean isEmptyAfter(long group, int remove) {
        for (int i = 0; i < GROUP; i++) {
            if ((remove & (1 << i)) == 0 && M.readLong(group + (long) i * RECORD) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Removes every entry. Caller serialises. */
    public void clear() {
        map.clear();
        checkOrWriteHeader();
    }

    /** Visits every LBA with data (order unspecified). Not concurrently with puts. */
    public void forEach(Visitor visitor) {
        map.forEachEntry(e -> {
            Data<Long> k = e.key();
            long group = k.bytes().readLong(k.offset());
            if (group == META_KEY) {
                return;
            }
            Data<byte[]> v = e.value();
            long a = v.bytes().addressForRead(v.offset());
            for (int i = 0; i < GROUP; i++) {
                long r = a + (long) i * RECORD;
                long loc = M.readLong(r);
                if (loc != 0) {
                    visitor.entry((group << SHIFT) + i, loc, M.readLong(r + 8), M.readLong(r + 16), M.readInt(r + 24));
                }
            }
        });
    }

    /** Receives map entries. */
    public interface Visitor {
        void entry(long lba, long location, long fpHi, long fpLo, int crc);
    }

    /** Map entries holding data (groups of up to 8 LBAs). */
    public long groups() {
        return map.longSize() - 1;
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
                newGroup.releaseLast();
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
