package io.scoria.accelerator.metadata;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/**
 * One chronicle file of an {@link LbaMap} (format {@value LbaMap#VERSION}) and its header entry.
 * Chronicle preallocates the space of the entries a file is created for ("capacity") and adds
 * tiers as it fills beyond them, so a file is created for what the volume holds, not for its
 * size: an empty map costs one small file whatever the volume's size, and {@link #copyToSide} moves
 * the entries into a new file sized for them once tiers pile up (lookups walk a segment's tiers).
 *
 * <p>Header (key -1, 16 bytes, native order): magic {@code "LBA3"}, format, and the capacity the
 * file was created for (0 in files written before capacities were recorded: those were created
 * for {@code min(clusters, 2^20) / 8} entries).
 *
 * <p>Not thread-safe: the owning {@link LbaMap} serialises rebuilds and closes with its readers.
 */
final class MapFile implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MapFile.class);
    /** No one to tell of the steps of a rebuild. */
    static final Consumer<Step> NO_STEPS = step -> { };
    /** Steps of a rebuild ({@link #copyToSide}, {@link #install}) at which a crash leaves a different state on flash. */
    enum Step {
        /** Half the entries are in the side file: the map file is untouched, the side file incomplete. */
        COPYING,
        /** Every entry is in the side file, not yet renamed over the map file. */
        COPIED,
        /** The side file is renamed over the map file, not yet opened. */
        RENAMED
    }

    private static final int HEADER_SIZE = 16;
    /** Chronicle's sizing hint: a dense group's 224 bytes, and about what a coarse page of 7-8 records takes. */
    private static final double AVERAGE_VALUE = LbaMap.VALUE_SIZE;
    /**
     * Chronicle's allocation unit: a dense group's entry (8-byte key, 2-byte value size, 224-byte
     * value) is exactly 6 chunks, and a page wastes at most 38 bytes (dense pattern of
     * {@code MetadataFootprint}: 35.3 bytes per cluster, 39.3 with chronicle's default chunk).
     */
    private static final int CHUNK = 39;
    /** Smallest capacity a file is created for: about 0.3 MiB on flash. */
    static final long MIN_CAPACITY = 1024;
    /** Capacity that files written before capacities were recorded in the header were created for, at most. */
    private static final long LEGACY_CAPACITY = (1L << 20) / LbaMap.GROUP;

    final Path path;
    final ChronicleMap<Long, byte[]> map;
    /** Entries the file was created for. */
    final long capacity;

    private MapFile(Path path, ChronicleMap<Long, byte[]> map, long capacity) {
        this.path = path;
        this.map = map;
        this.capacity = capacity;
    }

    /**
     * Opens the map file {@code path} of an {@link LbaMap}, or creates it for {@code capacity}
     * entries. A side file left by a rebuild that a crash interrupted is deleted and the map opened
     * with lock recovery; an existing file created for far more entries than it holds is rebuilt
     * to fit ({@link #oversized}; if that fails it stays as it is, complete but larger).
     *
     * @throws LbaMapFormatException if the file exists but is not an LBA map of this format
     */
    static MapFile openMap(Path path, long capacity, long clusters) {
        boolean interrupted;
        try {
            // the map file in place is complete, but the process may have died holding a segment lock on it
            interrupted = Files.deleteIfExists(sideFile(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + sideFile(path), e);
        }
        boolean existed = Files.exists(path);
        MapFile f = open(path, capacity, clusters, interrupted);
        if (!existed || !f.oversized()) {
            return f;
        }
        try {
            f.copyToSide(f.entries(), clusters, NO_STEPS);
        } catch (RuntimeException e) {
            LOG.warn("cannot shrink LBA map {} to its {} entries; it stays as it is", path, f.entries(), e);
            return f;
        }
        f.close();
        return install(path, clusters, NO_STEPS);
    }

    /**
     * Opens {@code path}, or creates it for {@code capacity} entries if it does not exist.
     *
     * @throws LbaMapFormatException if the file exists but is not an LBA map of this format
     */
    static MapFile open(Path path, long capacity, long clusters) {
        return open(path, capacity, clusters, false);
    }

    /**
     * Opens {@code path} as {@link #open(Path, long, long)}; with {@code recover}, chronicle's
     * recovery first releases the segment locks that a process which died holding them left in
     * the file (a rebuild holds the read lock of the segment it copies from).
     */
    static MapFile open(Path path, long capacity, long clusters, boolean recover) {
        ChronicleMap<Long, byte[]> m;
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            var builder = ChronicleMap.of(Long.class, byte[].class)
                    .name("lba-map-v" + LbaMap.VERSION)
                    .entries(Math.max(MIN_CAPACITY, capacity))
                    .averageValueSize(AVERAGE_VALUE)
                    .actualChunkSize(CHUNK)
                    .maxBloatFactor(1000)
                    // the map is rebuilt from the TLogs after any unclean stop, so per-entry checksums buy nothing
                    .checksumEntries(false);
            m = recover && Files.exists(path) ? builder.recoverPersistedTo(path.toFile(), true) : builder.createPersistedTo(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open LBA map " + path, e);
        } catch (RuntimeException e) {
            throw new LbaMapFormatException("cannot open " + path + " as an LBA map of format " + LbaMap.VERSION + ": " + e);
        }
        try {
            long recorded = checkOrWriteHeader(path, m, Math.max(MIN_CAPACITY, capacity));
            long legacy = Math.max(MIN_CAPACITY, Math.min((clusters + LbaMap.GROUP - 1) / LbaMap.GROUP, LEGACY_CAPACITY));
            return new MapFile(path, m, recorded != 0 ? recorded : legacy);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Returns the capacity recorded in the header (0: none recorded), writing the header first if the map is new. */
    private static long checkOrWriteHeader(Path path, ChronicleMap<Long, byte[]> map, long capacity) {
        try (ExternalMapQueryContext<Long, byte[], ?> q = map.queryContext(new LongKey().set(LbaMap.META_KEY))) {
            q.updateLock().lock();
            MapEntry<Long, byte[]> e = q.entry();
            if (e != null) {
                Data<byte[]> v = e.value();
                if (v.size() != HEADER_SIZE || v.bytes().readInt(v.offset()) != LbaMap.MAGIC
                        || v.bytes().readInt(v.offset() + 4) != LbaMap.VERSION) {
                    throw new LbaMapFormatException(path + " is not an LBA map of format " + LbaMap.VERSION);
                }
                return v.bytes().readLong(v.offset() + 8);
            }
            if (map.longSize() != 0) {
                throw new LbaMapFormatException(path + " holds " + map.longSize() + " entries but no LBA map header");
            }
            byte[] header = new byte[HEADER_SIZE];
            ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).putInt(LbaMap.MAGIC).putInt(LbaMap.VERSION).putLong(capacity);
            q.insert(q.absentEntry(), q.wrapValueAsData(header));
            return capacity;
        }
    }

    /** Removes every entry but the header. */
    void clearEntries() {
        map.clear();
        checkOrWriteHeader(path, map, capacity);
    }

    /** Entries holding data (all but the header). */
    long entries() {
        return map.longSize() - 1;
    }

    /** True if the file holds so many more entries than it was created for that lookups walk long tier chains. */
    boolean overgrown(long factor) {
        return entries() > capacity * factor;
    }

    /** True if the file was created for far more entries than it holds (e.g. a map presized before capacities were recorded). */
    boolean oversized() {
        return capacity > MIN_CAPACITY && entries() * 4 < capacity;
    }

    /**
     * Copies every entry into a new side file created for {@code capacity} entries next to this
     * one ({@link #sideFile}); {@link #install} then puts it in this file's place. A crash part
     * way leaves this file in place and a side file that the next open of the map deletes.
     * {@code steps} is told of {@link Step#COPYING} and {@link Step#COPIED}. On failure the side
     * file is deleted (best effort) and this file is untouched.
     */
    void copyToSide(long capacity, long clusters, Consumer<Step> steps) {
        Path side = sideFile(path);
        try {
            Files.deleteIfExists(side);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + side, e);
        }
        try (MapFile next = open(side, capacity, clusters)) {
            copyEntries(next, steps);
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(side);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        steps.accept(Step.COPIED);
    }

    private void copyEntries(MapFile next, Consumer<Step> steps) {
        long half = entries() / 2;
        long[] copied = {0};
        LongKey key = new LongKey();
        BytesStore<?, Void> value = OffHeap.store(PageMap.HEADER + (long) PageMap.SLOT * (1 << PageMap.COARSE_SHIFT));
        try {
            map.forEachEntry(e -> {
                long k = e.key().bytes().readLong(e.key().offset());
                if (k == LbaMap.META_KEY) {
                    return;
                }
                Data<byte[]> v = e.value();
                long size = v.size();
                value.write(0, v.bytes(), v.offset(), size);
                try (ExternalMapQueryContext<Long, byte[], ?> q = next.map.queryContext(key.set(k))) {
                    q.updateLock().lock();
                    q.insert(q.absentEntry(), q.wrapValueBytesAsData(value, 0, size));
                }
                if (++copied[0] == half) {
                    steps.accept(Step.COPYING);
                }
            });
        } finally {
            value.releaseLast();
        }
        if (copied[0] != entries()) {
            throw new IllegalStateException("copied " + copied[0] + " of the " + entries() + " entries of " + path);
        }
    }

    /**
     * Renames the side file that {@link #copyToSide} wrote over the map {@code path} (atomic) and
     * opens it. The map's previous file must be closed: chronicle shares the mapping of a path
     * that is open in this process. {@code steps} is told of {@link Step#RENAMED}. If the rename
     * fails the previous file, still in place and complete, is opened again (the side file stays
     * until the next open of the map deletes it).
     */
    static MapFile install(Path path, long clusters, Consumer<Step> steps) {
        try {
            Files.move(sideFile(path), path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("cannot put the rebuilt LBA map {} in place of {}; the map in place stays", sideFile(path), path, e);
            return open(path, MIN_CAPACITY, clusters);
        }
        steps.accept(Step.RENAMED);
        return open(path, MIN_CAPACITY, clusters);
    }

    /** The side file {@link #copyToSide} writes before renaming it over the map. */
    static Path sideFile(Path map) {
        return map.resolveSibling(map.getFileName() + ".rebuild");
    }

    @Override
    public void close() {
        map.close();
    }
}
