package io.scoria.accelerator.metadata;

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
 * clusters holding data have entries (zero and trimmed clusters are absent). Eight
 * consecutive LBAs share one map entry.
 *
 * <p>Thread-safety: {@link #get} may run concurrently with anything; {@link #put} and
 * {@link #clear} must be serialised by the caller (the volume's write lock), because a put is
 * a read-modify-write of the group entry.
 */
public final class LbaMap implements AutoCloseable {
    private final Path file;
    private final ChronicleMap<Long, LbaGroup> map;
    private final ThreadLocal<LbaGroup> scratch = ThreadLocal.withInitial(LbaGroup::new);
    private final LbaGroup writeScratch = new LbaGroup();
    private boolean closed;

    private LbaMap(Path file, ChronicleMap<Long, LbaGroup> map) {
        this.file = file;
        this.map = map;
    }

    /**
     * Opens or creates the map file for a volume of {@code clusters} clusters. The file is
     * sized for {@code min(clusters, expectedClusters)} written clusters and grows in tiers.
     */
    public static LbaMap open(Path file, long clusters, long expectedClusters) {
        long groups = Math.max(1024, Math.min((clusters + LbaGroup.SIZE - 1) >> LbaGroup.SHIFT,
                (expectedClusters + LbaGroup.SIZE - 1) >> LbaGroup.SHIFT));
        try {
            Files.createDirectories(file.getParent());
            ChronicleMap<Long, LbaGroup> m = ChronicleMap.of(Long.class, LbaGroup.class)
                    .name("lba-map")
                    .entries(groups)
                    .maxBloatFactor(1000)
                    .constantValueSizeBySample(new LbaGroup())
                    .createPersistedTo(file.toFile());
            return new LbaMap(file, m);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open LBA map " + file, e);
        }
    }

    /** Fills {@code out}; a cluster without data gets location 0 and fingerprint 0. */
    public void get(long lba, LbaEntry out) {
        LbaGroup g = map.getUsing(lba >>> LbaGroup.SHIFT, scratch.get());
        if (g == null) {
            out.location = 0;
            out.fpHi = 0;
            out.fpLo = 0;
            out.crc = 0;
            return;
        }
        int i = (int) (lba & (LbaGroup.SIZE - 1));
        out.location = g.location[i];
        out.fpHi = g.fpHi[i];
        out.fpLo = g.fpLo[i];
        out.crc = g.crc[i];
    }

    /** Sets one LBA; {@code location == 0} removes its data. Caller serialises puts. */
    public void put(long lba, long location, long fpHi, long fpLo, int crc) {
        Long key = lba >>> LbaGroup.SHIFT;
        // one query context reads and writes the group in place (one lookup, no second deserialisation)
        try (ExternalMapQueryContext<Long, LbaGroup, ?> q = map.queryContext(key)) {
            q.updateLock().lock();
            MapEntry<Long, LbaGroup> entry = q.entry();
            LbaGroup g = writeScratch;
            if (entry == null) {
                if (location == 0) {
                    return;
                }
                g.clear();
            } else {
                g = entry.value().getUsing(g);
            }
            int i = (int) (lba & (LbaGroup.SIZE - 1));
            g.location[i] = location;
            g.fpHi[i] = location == 0 ? 0 : fpHi;
            g.fpLo[i] = location == 0 ? 0 : fpLo;
            g.crc[i] = location == 0 ? 0 : crc;
            if (g.isEmpty()) {
                if (entry != null) {
                    q.remove(entry);
                }
            } else if (entry != null) {
                q.replaceValue(entry, q.wrapValueAsData(g));
            } else {
                q.insert(q.absentEntry(), q.wrapValueAsData(g));
            }
        }
    }

    /** Removes every entry. Caller serialises. */
    public void clear() {
        map.clear();
    }

    /** Visits every LBA with data (order unspecified). */
    public void forEach(Visitor v) {
        map.forEachEntry(e -> {
            LbaGroup g = e.value().get();
            long base = e.key().get() << LbaGroup.SHIFT;
            for (int i = 0; i < LbaGroup.SIZE; i++) {
                if (g.location[i] != 0) {
                    v.entry(base + i, g.location[i], g.fpHi[i], g.fpLo[i], g.crc[i]);
                }
            }
        });
    }

    /** Receives map entries. */
    public interface Visitor {
        void entry(long lba, long location, long fpHi, long fpLo, int crc);
    }

    /** Map entries (groups of up to 8 LBAs). */
    public long groups() {
        return map.longSize();
    }

    /** Bytes the map file occupies on flash (allocated blocks, not the sparse length). */
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
            map.close();
        }
    }
}
