package io.scoria.accelerator.volume;

import io.scoria.accelerator.CacheMode;
import io.scoria.accelerator.ExtentSink;
import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.metadata.LbaMap;
import io.scoria.sco.VolumeManifest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A read-only view of a volume at one of its snapshots (export {@code VOL@SNAP}), made without
 * cloning: its own LBA map in a scratch directory, rebuilt by replaying the TLogs through the
 * snapshot (a clone's inherited TLogs first, as {@link History} does), read through the same
 * {@link RangeReader} as the volume (cluster cache, local SCOs, backend). Every write is refused
 * with {@link ReadOnlyVolumeException}. Its size is the volume's size when the view was opened.
 *
 * <p>Owned by whoever opened it; {@link #close} deletes the scratch map and is idempotent. Reads run
 * in parallel; close waits for them (read-write lock). Buffers as in {@link Volume}.
 */
public final class SnapshotVolume implements Volume, MapView {
    private final String name;
    private final long size;
    private final int clusterSize;
    private final Path dir;
    private final LbaMap map;
    private final List<String> chain;
    private final RangeReader reader;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    /** Replays {@code m}'s history through {@code snapshot} into a new map under {@code dir} (created, then owned). */
    SnapshotVolume(VolumeContext ctx, VolumeManifest m, String snapshot, Path dir, CacheMode mode) {
        this.name = m.name() + "@" + snapshot;
        this.size = m.config().sizeBytes();
        this.clusterSize = m.config().clusterSize();
        this.dir = dir;
        List<History.Source> sources = History.collect(ctx, m, 0, snapshot);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
        // sized for what the replay writes, not presized for up to 2^20 clusters (issue 25)
        LbaMap opened = LbaMap.open(dir.resolve(LbaMap.FILE_NAME), m.config().clusters());
        try {
            History.apply(opened, sources);
        } catch (RuntimeException e) {
            opened.close();
            VolumeRemoval.deleteTree(dir);
            throw e;
        }
        this.map = opened;
        this.chain = History.chain(ctx, m);
        this.reader = new RangeReader(ctx, this, m.config().namespace(), clusterSize, m.config().scoSize(), mode);
    }

    @Override
    public LbaMap map() {
        return map;
    }

    @Override
    public List<String> chain() {
        return chain;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int clusterSize() {
        return clusterSize;
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        if (length > MAX_IO_BYTES || offset < 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException("read: range [" + offset + ", " + offset + "+" + length
                    + ") is too long or passes the end of snapshot '" + name + "' (" + size + " bytes)");
        }
        lifecycle.readLock().lock();
        try {
            checkOpen();
            reader.read(offset, dst);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void extents(long offset, long length, ExtentSink sink) {
        if (offset < 0 || length <= 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException("extents: range [" + offset + ", " + offset + "+" + length
                    + ") is empty or passes the end of snapshot '" + name + "' (" + size + " bytes)");
        }
        lifecycle.readLock().lock();
        try {
            checkOpen();
            AllocationScan.scan(map, clusterSize, size, offset, length, sink);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new VolumeConflictException("snapshot view '" + name + "' is closed");
        }
    }

    private ReadOnlyVolumeException readOnly(String op) {
        return new ReadOnlyVolumeException(op + " refused: '" + name + "' is a read-only snapshot");
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        throw readOnly("write");
    }

    /** Nothing to make durable: the view is never written. */
    @Override
    public void flush() {
        lifecycle.readLock().lock();
        try {
            checkOpen();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    @Override
    public void trim(long offset, long length) {
        throw readOnly("trim");
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        throw readOnly("writeZeroes");
    }

    @Override
    public SnapshotInfo snapshot(String snapshotName) {
        throw readOnly("snapshot");
    }

    /** A snapshot view has no snapshots of its own. */
    @Override
    public List<SnapshotInfo> listSnapshots() {
        return List.of();
    }

    @Override
    public void deleteSnapshot(String snapshotName) {
        throw readOnly("deleteSnapshot");
    }

    @Override
    public void rollback(String snapshot) {
        throw readOnly("rollback");
    }

    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            map.close();
            VolumeRemoval.deleteTree(dir);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
