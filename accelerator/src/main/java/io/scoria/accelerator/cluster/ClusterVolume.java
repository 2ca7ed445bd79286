package io.scoria.accelerator.cluster;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A volume this node owns, handed to the frontends: every call needs the {@link Lease} LIVE before
 * it starts, and every change needs it LIVE again before it is acknowledged, so a node whose
 * ZooKeeper session is suspended or lost acknowledges nothing more (the write may have been
 * applied locally; like a write in flight at a crash, the client must not count on it). Reads
 * are refused too: the volume may already have moved on elsewhere. Thread-safe; the lease check
 * is one volatile read. Buffers as {@link Volume} says.
 */
final class ClusterVolume implements Volume {
    private final Volume volume;
    private final Lease lease;

    ClusterVolume(Volume volume, Lease lease) {
        this.volume = volume;
        this.lease = lease;
    }

    Lease lease() {
        return lease;
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
        return volume.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        lease.checkLive();
        volume.read(offset, dst);
    }

    @Override
    public void extents(long offset, long length, io.scoria.accelerator.ExtentSink sink) {
        lease.checkLive();
        volume.extents(offset, length, sink);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        lease.checkLive();
        volume.write(offset, src, fua);
        lease.checkLive();
    }

    @Override
    public CompletableFuture<Void> writeAsync(long offset, ByteBuffer src, boolean fua, Executor executor) {
        lease.checkLive();
        return volume.writeAsync(offset, src, fua, executor).thenRun(lease::checkLive);
    }

    @Override
    public void flush() {
        lease.checkLive();
        volume.flush();
        lease.checkLive();
    }

    @Override
    public void trim(long offset, long length) {
        lease.checkLive();
        volume.trim(offset, length);
        lease.checkLive();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        lease.checkLive();
        volume.writeZeroes(offset, length, fua);
        lease.checkLive();
    }

    @Override
    public SnapshotInfo snapshot(String name) {
        lease.checkLive();
        SnapshotInfo s = volume.snapshot(name);
        lease.checkLive();
        return s;
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        return volume.listSnapshots();
    }

    @Override
    public void deleteSnapshot(String name) {
        lease.checkLive();
        volume.deleteSnapshot(name);
    }

    @Override
    public void rollback(String snapshot) {
        lease.checkLive();
        volume.rollback(snapshot);
    }

    @Override
    public void close() {
        volume.close();
    }
}
