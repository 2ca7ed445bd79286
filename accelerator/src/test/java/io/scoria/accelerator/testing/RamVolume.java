package io.scoria.accelerator.testing;

import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Benchmark peer only: a volume held in off-heap memory (64 MiB direct chunks), the analogue of
 * {@code nbdkit memory}. Reads and writes are plain copies without locks, so racing writes to
 * the same bytes may interleave (weaker than {@link Volume}'s per-cluster atomicity); it has no
 * snapshots. Use {@link InMemoryVolume} for tests.
 */
public final class RamVolume implements Volume {
    private static final int CHUNK = 64 << 20;
    private final String name;
    private final long size;
    private final ByteBuffer[] chunks;

    public RamVolume(String name, long size) {
        if (size <= 0 || size % 4096 != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of 4096: " + size);
        }
        this.name = name;
        this.size = size;
        chunks = new ByteBuffer[(int) ((size + CHUNK - 1) / CHUNK)];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = ByteBuffer.allocateDirect((int) Math.min(CHUNK, size - (long) i * CHUNK));
        }
    }

    private void check(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") outside " + size);
        }
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
        return 4096;
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        check(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            int c = (int) (pos / CHUNK);
            int within = (int) (pos % CHUNK);
            int n = Math.min(dst.remaining(), chunks[c].capacity() - within);
            dst.put(chunks[c].duplicate().position(within).limit(within + n));
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        check(offset, src.remaining());
        ByteBuffer s = src.duplicate();
        long pos = offset;
        while (s.hasRemaining()) {
            int c = (int) (pos / CHUNK);
            int within = (int) (pos % CHUNK);
            int n = Math.min(s.remaining(), chunks[c].capacity() - within);
            chunks[c].duplicate().position(within).put(s.duplicate().limit(s.position() + n));
            s.position(s.position() + n);
            pos += n;
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void trim(long offset, long length) {
        writeZeroes(offset, length, false);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        check(offset, length);
        ByteBuffer zeros = ByteBuffer.allocate(64 << 10);
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(end - pos, zeros.capacity());
            write(pos, zeros.clear().limit(n), false);
            pos += n;
        }
    }

    @Override
    public SnapshotInfo snapshot(String snapshotName) {
        throw new UnsupportedOperationException("RamVolume (benchmark peer) has no snapshots");
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        return List.of();
    }

    @Override
    public void deleteSnapshot(String snapshotName) {
        throw new UnsupportedOperationException("RamVolume (benchmark peer) has no snapshots");
    }

    @Override
    public void rollback(String snapshot) {
        throw new UnsupportedOperationException("RamVolume (benchmark peer) has no snapshots");
    }

    @Override
    public void close() {
    }
}
