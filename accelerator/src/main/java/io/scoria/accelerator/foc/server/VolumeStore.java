package io.scoria.accelerator.foc.server;

import io.scoria.accelerator.foc.FocCorruptDataException;
import io.scoria.accelerator.foc.FocEntryFormat;
import io.scoria.accelerator.foc.FocException;
import io.scoria.accelerator.foc.FocFencedException;
import io.scoria.accelerator.foc.OwnerEpochs;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The FOC server's files of one volume: {@code volume.meta} plus one {@link ScoFile} per SCO
 * not yet removed. Every method except {@link #executor()}, {@link #persister()}, {@link #lock()},
 * {@link #persistRemovals()} and {@link #close()} runs with {@link #lock()} held: on the volume's
 * own single thread ({@link #executor()}), or, for uncontended ADD_ENTRIES, inline on a
 * connection's event loop ({@link FocServerHandler}), which then does a page-cache write (no
 * fsync: FLUSH's fsync always runs on the volume's thread).
 *
 * <p>Removal is split so that its fsyncs never hold up the volume's appends: {@link #removeUpTo}
 * (under the lock) takes the SCOs' files out of use and raises the watermark in memory;
 * {@link #persistRemovals} (on the {@link #persister()} thread, mostly without the lock) then makes
 * the watermark durable first and only after that renames the files to spares or deletes them. So
 * after a crash a file of a removed SCO may still exist, but then its SCO is at or below the
 * durable watermark and it is recycled when the volume loads, never replayed; and a spare is reused
 * only once the removal of its old SCO is durable.
 *
 * <p>Collaborators: {@link VolumeThreads} (its two threads), {@link SpareFiles} (the reuse pool),
 * {@link DurableMeta} (the record on disk), {@link ScoFile} (one file per SCO tag). Buffers:
 * {@link #add} reads the caller's frame buffer during the call only; the scratch buffer for
 * encoding and reading records is owned here and used under the lock.
 */
final class VolumeStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VolumeStore.class);

    private final Path dir;
    private final String volumeId;
    private final VolumeThreads threads;
    private final ReentrantLock lock = new ReentrantLock();
    private final TreeMap<Long, ScoFile> files = new TreeMap<>();
    private final SpareFiles spares;
    /** Files of removed SCOs waiting for {@link #persistRemovals}. */
    private final List<ScoFile> retiring = new ArrayList<>();
    /** Counts UNREGISTERs, so that files recycled meanwhile by {@link #persistRemovals} are deleted, not kept. */
    private long unregistrations;
    private final DurableMeta durable;
    private final CRC32C crc = new CRC32C();
    private ByteBuffer scratch = ByteBuffer.allocateDirect(1 << 20);
    private boolean loaded;
    private FocCorruptDataException broken;
    /** The current record: replaced under the lock, read without it by {@link #writeMeta}. */
    private volatile VolumeMeta meta;
    private boolean dirDirty;

    VolumeStore(Path dir, String volumeId) {
        this.dir = dir;
        this.volumeId = volumeId;
        this.spares = new SpareFiles(dir);
        this.durable = new DurableMeta(dir);
        this.threads = new VolumeThreads(volumeId);
    }

    ExecutorService executor() {
        return threads.requests();
    }

    /** Runs {@link #persistRemovals}; one at a time per volume. */
    ExecutorService persister() {
        return threads.persister();
    }

    /** Held by whoever applies a request to this volume's files. */
    ReentrantLock lock() {
        return lock;
    }

    String volumeId() {
        return volumeId;
    }

    /** Loads meta and recovers the SCO files on first use. */
    private void load() throws IOException {
        if (broken != null) {
            throw broken;
        }
        if (loaded) {
            return;
        }
        try {
            if (Files.isDirectory(dir)) {
                meta = VolumeMeta.read(dir);
                durable.loaded(meta);
                if (meta != null) {
                    spares.load();
                    List<Path> removed = new ArrayList<>();
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "sco-*.foc")) {
                        for (Path p : ds) {
                            long sco = ScoFile.parseFileName(p.getFileName().toString());
                            if (sco > meta.removedUpTo()) {
                                files.put(sco, ScoFile.open(p, sco, meta.clusterSize(), meta.removedUpTo()));
                            } else if (sco >= 0) {
                                removed.add(p); // removed durably, then the process died before recycling the file
                            }
                        }
                    }
                    for (Path p : removed) {
                        spares.recycle(p);
                    }
                    LOG.info("FOC volume {}: recovered epoch {}, {} SCO files, {} entries", volumeId, meta.epoch(),
                            files.size(), files.values().stream().mapToLong(ScoFile::entries).sum());
                }
            }
            loaded = true;
        } catch (FocCorruptDataException e) {
            broken = e;
            closeFiles();
            LOG.error("FOC volume {} is unusable: {}", volumeId, e.getMessage());
            throw e;
        }
    }

    /**
     * Registers an owner with {@code requested} ({@link OwnerEpochs#CLAIM}: the stored epoch + 1);
     * returns the epoch in force for it.
     *
     * @throws FocFencedException if {@code requested} is below the stored epoch
     * A volume that holds no entries takes the entry format of the registering owner (same cluster size);
     * one that holds entries keeps its own.
     *
     * @throws FocException if it is implausible ({@link OwnerEpochs#checkPlausible}) or the entry payload size
     *         differs from that of the entries the volume holds; nothing is changed then
     */
    long register(long requested, int payloadBytes, FocEntryFormat format) throws IOException {
        load();
        long stored = meta == null ? 0 : meta.epoch();
        long epoch = requested == OwnerEpochs.CLAIM ? OwnerEpochs.next(stored)
                : OwnerEpochs.checkPlausible(requested, stored);
        if (meta == null) {
            Files.createDirectories(dir);
            meta = new VolumeMeta(payloadBytes, epoch, -1);
            writeMeta();
            VolumeMeta.fsyncDir(dir.getParent());
            LOG.info("FOC volume {}: created, {} entries of {} payload bytes, owner epoch {}", volumeId, format,
                    payloadBytes, epoch);
            return epoch;
        }
        if (epoch < meta.epoch()) {
            throw new FocFencedException(volumeId, epoch, meta.epoch());
        }
        if (payloadBytes != meta.clusterSize()) {
            FocEntryFormat held = formatOf(meta.clusterSize());
            if (held == format) {
                throw new FocException("FOC volume '" + volumeId + "' has cluster size "
                        + held.clusterSizeOf(meta.clusterSize()) + ", register asked for " + format.clusterSizeOf(payloadBytes));
            }
            if (files.isEmpty() && retiring.isEmpty()
                    && held.clusterSizeOf(meta.clusterSize()) == format.clusterSizeOf(payloadBytes)) {
                // no entry left (all removed or unregistered): the entries change format, e.g. those of a volume
                // whose owner now seals them; spares of the old record size are not reused
                spares.deleteAll();
                meta = new VolumeMeta(payloadBytes, Math.max(epoch, meta.epoch()), meta.removedUpTo());
                writeMeta();
                LOG.info("FOC volume {}: holds no entries, now takes {} entries of {} payload bytes", volumeId, format,
                        payloadBytes);
                return epoch;
            }
            throw new FocException("FOC volume '" + volumeId + "' holds " + held + " entries of " + meta.clusterSize()
                    + " payload bytes, register asked for " + format + " entries of " + payloadBytes
                    + (format == FocEntryFormat.SEALED
                    ? " (clear entries of an encrypted volume, written before its FOC entries were sealed, are not"
                    + " replayed by this version: see FORMATS.md, \"Fail-over cache entries\")"
                    : " (an owner without the volume's key cannot replay its sealed entries)"));
        }
        if (epoch > meta.epoch()) {
            meta = meta.withEpoch(epoch);
            writeMeta();
            LOG.info("FOC volume {}: new owner epoch {}", volumeId, epoch);
        }
        return epoch;
    }

    private void checkOwner(long epoch) throws IOException {
        load();
        if (meta == null) {
            throw new FocException("FOC volume '" + volumeId + "' is not registered");
        }
        if (epoch < meta.epoch()) {
            throw new FocFencedException(volumeId, epoch, meta.epoch());
        }
    }

    /**
     * Appends {@code count} entries (wire layout) from {@code entries}' position. Validates the
     * whole batch before writing any of it.
     */
    void add(long epoch, ByteBuffer entries, int count) throws IOException {
        checkOwner(epoch);
        int eb = FocProtocol.entryBytes(meta.clusterSize());
        int base = entries.position();
        for (int i = 0; i < count; i++) {
            long sco = entries.getLong(base + i * eb + 8);
            if (sco < 0 || sco <= meta.removedUpTo()) {
                throw new FocException("FOC volume '" + volumeId + "': entry " + i + " names SCO " + sco
                        + ", which is at or below the removed watermark " + meta.removedUpTo());
            }
        }
        int rb = ScoFile.recordBytes(meta.clusterSize());
        int limit = entries.limit();
        int i = 0;
        while (i < count) {
            long sco = entries.getLong(base + i * eb + 8);
            int j = i;
            while (j < count && entries.getLong(base + j * eb + 8) == sco) {
                j++;
            }
            ScoFile f = files.get(sco);
            if (f == null) {
                Path p = dir.resolve(ScoFile.fileName(sco));
                Path spare = spares.poll();
                f = spare != null ? ScoFile.reuse(spare, p, sco, meta.clusterSize())
                        : ScoFile.create(p, sco, meta.clusterSize());
                files.put(sco, f);
                dirDirty = true;
            }
            int n = j - i;
            if (scratch.capacity() < n * rb) {
                scratch = ByteBuffer.allocateDirect(n * rb);
            }
            scratch.clear();
            for (int k = i; k < j; k++) {
                entries.limit(base + (k + 1) * eb).position(base + k * eb);
                ScoFile.encodeRecord(scratch, entries, crc);
            }
            entries.limit(limit); // encodeRecord narrowed it to one entry; the next group lies beyond
            scratch.flip();
            f.append(scratch);
            i = j;
        }
    }

    /** Makes every appended entry durable (fdatasync of dirty files, fsync of the directory). */
    void flush(long epoch) throws IOException {
        checkOwner(epoch);
        for (ScoFile f : files.values()) {
            f.force();
        }
        if (dirDirty) {
            VolumeMeta.fsyncDir(dir);
            dirDirty = false;
        }
    }

    /**
     * Removes the entries of SCOs numbered up to and including {@code scoNumber} from use and
     * raises the watermark in memory (no I/O). Returns true if there is something for
     * {@link #persistRemovals} to make durable before the removal is acknowledged.
     */
    boolean removeUpTo(long epoch, long scoNumber) throws IOException {
        checkOwner(epoch);
        if (scoNumber <= meta.removedUpTo()) {
            // a repeat (e.g. re-sent on reconnection): acknowledge it only once it is durable
            return scoNumber > durable.removedUpTo() || !retiring.isEmpty();
        }
        Map<Long, ScoFile> head = files.headMap(scoNumber, true);
        retiring.addAll(head.values());
        head.clear();
        meta = meta.withRemovedUpTo(scoNumber);
        return true;
    }

    /**
     * On the {@link #persister()} thread, without the lock held on entry: writes the watermark
     * durably, then renames the removed SCOs' files to spares (up to {@link SpareFiles#MAX}) or deletes
     * them, and only then offers the spares for reuse. Several removals in a row are made durable by
     * one call. If writing the watermark fails, the files stay retiring for the next call.
     */
    void persistRemovals() throws IOException {
        List<ScoFile> taken;
        long generation;
        lock.lock();
        try {
            taken = new ArrayList<>(retiring);
            retiring.clear();
            generation = unregistrations;
        } finally {
            lock.unlock();
        }
        try {
            writeMeta(); // covers every file taken: the watermark was raised before they were
        } catch (IOException | RuntimeException e) {
            lock.lock();
            try {
                retiring.addAll(0, taken);
            } finally {
                lock.unlock();
            }
            throw e;
        }
        List<Path> recycled = new ArrayList<>();
        IOException failed = null;
        for (ScoFile f : taken) {
            try {
                if (recycled.size() < SpareFiles.MAX - sparesCount()) {
                    Path spare = spares.spareFor(ScoFile.fileName(f.scoNumber()));
                    f.retire(spare);
                    recycled.add(spare);
                } else {
                    f.delete();
                }
            } catch (IOException e) { // the file stays; the next load recycles it (its SCO is below the watermark)
                failed = e;
            }
        }
        lock.lock();
        try {
            if (generation == unregistrations) {
                spares.addAll(recycled);
            } else { // an UNREGISTER deleted every file while these were being recycled
                for (Path p : recycled) {
                    Files.deleteIfExists(p);
                }
            }
        } finally {
            lock.unlock();
        }
        if (failed != null) {
            throw failed;
        }
    }

    private int sparesCount() {
        lock.lock();
        try {
            return spares.size();
        } finally {
            lock.unlock();
        }
    }

    /** Writes the current record durably unless it already is; serialised with every other meta write. */
    private void writeMeta() throws IOException {
        durable.write(meta);
    }

    /** Deletes every entry of the volume; the owner epoch stays, so fencing still holds. */
    void unregister(long epoch) throws IOException {
        checkOwner(epoch);
        unregistrations++;
        for (ScoFile f : files.values()) {
            f.delete();
        }
        files.clear();
        for (ScoFile f : retiring) {
            f.delete();
        }
        retiring.clear();
        spares.deleteAll();
        VolumeMeta.fsyncDir(dir);
        LOG.info("FOC volume {}: unregistered by owner epoch {}, entries deleted", volumeId, epoch);
    }

    /** Streams every entry, in SCO order then append order, verifying each record; returns the count. */
    long readAll(long epoch, ScoFile.EntryVisitor sink) throws IOException {
        checkOwner(epoch);
        long n = 0;
        for (ScoFile f : files.values()) {
            n += f.forEach(scratch, sink);
        }
        return n;
    }

    /** The volume's entry format: clear entries have a power-of-two payload, sealed ones do not. */
    private static FocEntryFormat formatOf(int payloadBytes) {
        return Integer.bitCount(payloadBytes) == 1 ? FocEntryFormat.CLEAR : FocEntryFormat.SEALED;
    }

    int clusterSize() {
        return meta.clusterSize();
    }

    /** Bytes of entries in this volume's SCO files (spare files and left-over tails not counted). */
    long diskBytes() {
        return files.values().stream().mapToLong(ScoFile::sizeBytes).sum();
    }

    private void closeFiles() {
        List<ScoFile> all = new ArrayList<>(files.values());
        all.addAll(retiring);
        retiring.clear();
        for (ScoFile f : all) {
            try {
                f.close();
            } catch (IOException e) {
                LOG.warn("FOC volume {}: closing {} failed: {}", volumeId, f.path(), e.toString());
            }
        }
        files.clear();
    }

    /** Finishes queued requests, closes the files and stops the threads; idempotent. */
    @Override
    public void close() {
        threads.close(() -> {
            lock.lock();
            try {
                closeFiles();
            } finally {
                lock.unlock();
            }
        });
    }
}
