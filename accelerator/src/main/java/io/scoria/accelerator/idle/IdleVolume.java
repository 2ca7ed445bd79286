package io.scoria.accelerator.idle;

import io.scoria.accelerator.ExtentSink;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeService;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * The {@link Volume} that {@link IdleVolumeService#open} hands out: a handle by name that stays valid
 * across idle closes. Every call passes the volume's {@link IdleGate} (waiting while an idle close
 * runs) and runs on the open volume of the stack below, reopening it first if it was closed; an
 * asynchronous write stays in flight until its acknowledgement completed. Thread-safe; owns nothing
 * (the service owns the volume: {@link #close()} closes it in the stack, the next call reopens it).
 */
final class IdleVolume implements Volume {
    private final VolumeService stack;
    private final IdleVolumes idle;
    private final String name;
    private final int clusterSize;

    /** @param first the volume as opened by this handle's {@link IdleVolumeService#open} */
    IdleVolume(VolumeService stack, IdleVolumes idle, String name, Volume first) {
        this.stack = stack;
        this.idle = idle;
        this.name = name;
        this.clusterSize = first.clusterSize();
    }

    private <T> T call(Function<Volume, T> op) {
        IdleGate g = idle.gate(name);
        g.enter();
        try {
            return op.apply(g.volume(() -> stack.open(name)));
        } finally {
            g.exit();
        }
    }

    private void run(java.util.function.Consumer<Volume> op) {
        call(v -> {
            op.accept(v);
            return null;
        });
    }

    @Override
    public String name() {
        return name;
    }

    /** The volume's size now (a resize shows at once; reopens a closed volume, like every call). */
    @Override
    public long size() {
        return call(Volume::size);
    }

    @Override
    public int clusterSize() {
        return clusterSize;
    }

    @Override
    public boolean isReadOnly() {
        return call(Volume::isReadOnly);
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        run(v -> v.read(offset, dst));
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        run(v -> v.write(offset, src, fua));
    }

    @Override
    public CompletableFuture<Void> writeAsync(long offset, ByteBuffer src, boolean fua, Executor executor) {
        IdleGate g = idle.gate(name);
        g.enter();
        CompletableFuture<Void> ack;
        try {
            ack = g.volume(() -> stack.open(name)).writeAsync(offset, src, fua, executor);
        } catch (RuntimeException | Error e) {
            g.exit();
            throw e;
        }
        return ack.whenComplete((r, e) -> g.exit());
    }

    @Override
    public void flush() {
        run(Volume::flush);
    }

    @Override
    public void trim(long offset, long length) {
        run(v -> v.trim(offset, length));
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        run(v -> v.writeZeroes(offset, length, fua));
    }

    @Override
    public void extents(long offset, long length, ExtentSink sink) {
        run(v -> v.extents(offset, length, sink));
    }

    @Override
    public SnapshotInfo snapshot(String snapshot) {
        return call(v -> v.snapshot(snapshot));
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        return call(Volume::listSnapshots);
    }

    @Override
    public void deleteSnapshot(String snapshot) {
        run(v -> v.deleteSnapshot(snapshot));
    }

    @Override
    public void rollback(String snapshot) {
        run(v -> v.rollback(snapshot));
    }

    /** Closes the volume in the stack below now (flushing it); the next call reopens it. */
    @Override
    public void close() {
        IdleGate g = idle.gate(name);
        g.enter();
        try {
            if (g.isOpen()) {
                g.volume(() -> stack.open(name)).close();
                g.closed();
            }
        } finally {
            g.exit();
        }
    }
}
