package io.scoria.accelerator.frontend;

import io.scoria.accelerator.ExtentSink;
import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A volume as a host attached read-only sees it: reads and extents pass through, every change is
 * refused with {@link ReadOnlyVolumeException}. Does not own the volume: {@link #close()} leaves it
 * open (the volume service owns it). Thread-safe as the volume is; buffers as {@link Volume} says.
 */
public final class ReadOnlyView implements Volume {
    private final Volume volume;

    public ReadOnlyView(Volume volume) {
        this.volume = volume;
    }

    /** True if this is a view of {@code v}. */
    public boolean viewOf(Volume v) {
        return volume == v;
    }

    @Override
    public String name() {
        return volume.name();
    }

    @Override
    public long size() {
        return volume.size();
    }

    @Override
    public int clusterSize() {
        return volume.clusterSize();
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        volume.read(offset, dst);
    }

    @Override
    public void extents(long offset, long length, ExtentSink sink) {
        volume.extents(offset, length, sink);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        throw refused();
    }

    @Override
    public void flush() {
        // nothing of this view's to make durable: it never wrote
    }

    @Override
    public void trim(long offset, long length) {
        throw refused();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        throw refused();
    }

    @Override
    public SnapshotInfo snapshot(String name) {
        throw refused();
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        return volume.listSnapshots();
    }

    @Override
    public void deleteSnapshot(String name) {
        throw refused();
    }

    @Override
    public void rollback(String snapshot) {
        throw refused();
    }

    @Override
    public void close() {
        // the volume stays open: the service owns it
    }

    private ReadOnlyVolumeException refused() {
        return new ReadOnlyVolumeException("volume '" + volume.name() + "' is attached read-only to this host");
    }
}
