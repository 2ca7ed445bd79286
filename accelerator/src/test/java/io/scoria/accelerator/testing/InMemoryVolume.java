package io.scoria.accelerator.testing;

import io.scoria.accelerator.ReadOnlyVolumeException;
import io.scoria.accelerator.SnapshotInfo;
import io.scoria.accelerator.Volume;
import io.scoria.accelerator.VolumeConflictException;
import io.scoria.accelerator.VolumeNotFoundException;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * A test fixture {@link Volume}: a sparse map of cluster index to cluster bytes, guarded by one
 * lock. Snapshots are full copies of the map (fine for tests, not for production). Unwritten
 * and trimmed clusters are absent and read as zeros. A {@link #readHook} can delay reads (to
 * prove that one slow read does not block other requests); it runs outside the lock.
 *
 * <p>Thread-safe. The caller keeps ownership of every buffer.
 */
public final class InMemoryVolume implements Volume {
    private final String name;
    private volatile long size;
    private final int clusterSize;
    private volatile boolean readOnly;
    private final Object lock = new Object();
    private Map<Long, byte[]> clusters = new TreeMap<>();
    private final LinkedHashMap<String, Snapshot> snapshots = new LinkedHashMap<>();
    private final AtomicLong nextSnapshotId = new AtomicLong(1);
    private final AtomicLong flushes = new AtomicLong();
    private final AtomicLong fuaWrites = new AtomicLong();
    private final AtomicReference<LongConsumer> readHook = new AtomicReference<>(o -> { });
    private final AtomicReference<LongConsumer> writeHook = new AtomicReference<>(o -> { });
    private volatile boolean closed;

    record Snapshot(SnapshotInfo info, Map<Long, byte[]> clusters) {
    }

    public InMemoryVolume(String name, long size, int clusterSize) {
        this.name = Objects.requireNonNull(name, "name");
        if (size <= 0 || size % clusterSize != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of clusterSize: " + size);
        }
        this.size = size;
        this.clusterSize = clusterSize;
    }

    /** Called with the offset before every read, outside any lock (a test may block in it). */
    public void setReadHook(LongConsumer hook) {
        readHook.set(Objects.requireNonNull(hook, "hook"));
    }

    public long flushCount() {
        return flushes.get();
    }

    /** Writes asked to be durable before they return (FUA). */
    public long fuaWriteCount() {
        return fuaWrites.get();
    }

    /** Number of clusters that hold data (trimmed and zeroed clusters hold none). */
    public int storedClusters() {
        synchronized (lock) {
            return clusters.size();
        }
    }

    /** Changes the size; a shrink drops the clusters cut off. */
    void resize(long newSize) {
        if (newSize <= 0 || newSize % clusterSize != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of clusterSize: " + newSize);
        }
        synchronized (lock) {
            clusters.keySet().removeIf(index -> index >= newSize / clusterSize);
            size = newSize;
        }
    }

    /** A cluster without stored bytes reads as zeros; every other one is reported as data. */
    @Override
    public void extents(long offset, long length, io.scoria.accelerator.ExtentSink sink) {
        if (offset < 0 || length <= 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException("extents: bad range " + offset + "+" + length);
        }
        long end = offset + length;
        long pos = offset;
        while (pos < end) {
            long index = pos / clusterSize;
            boolean zero;
            synchronized (lock) {
                zero = !clusters.containsKey(index);
            }
            long next = (index + 1) * clusterSize;
            if (!sink.extent(next - pos, zero)) {
                return;
            }
            pos = next;
        }
    }

    void setReadOnly(boolean readOnly) {
        this.readOnly = readOnly;
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
        return readOnly;
    }

    private void checkRange(long offset, long length) {
        if (closed) {
            throw new IllegalStateException("volume " + name + " is closed");
        }
        if (offset < 0 || length < 0 || offset + length > size || offset + length < 0) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is outside volume " + name
                    + " of size " + size);
        }
    }

    private void checkWritable() {
        if (readOnly) {
            throw new ReadOnlyVolumeException("volume " + name + " is read-only");
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        checkRange(offset, length);
        readHook.get().accept(offset);
        synchronized (lock) {
            long pos = offset;
            while (dst.hasRemaining()) {
                long index = pos / clusterSize;
                int within = (int) (pos % clusterSize);
                int n = Math.min(dst.remaining(), clusterSize - within);
                byte[] c = clusters.get(index);
                if (c == null) {
                    for (int i = 0; i < n; i++) {
                        dst.put((byte) 0);
                    }
                } else {
                    dst.put(c, within, n);
                }
                pos += n;
            }
        }
    }

    /** Runs before every write with its offset; may throw to make the write fail (e.g. a full disk). */
    public void setWriteHook(LongConsumer hook) {
        writeHook.set(Objects.requireNonNull(hook, "hook"));
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        checkRange(offset, src.remaining());
        checkWritable();
        writeHook.get().accept(offset);
        if (fua) {
            fuaWrites.incrementAndGet();
        }
        ByteBuffer s = src.duplicate();
        synchronized (lock) {
            long pos = offset;
            while (s.hasRemaining()) {
                long index = pos / clusterSize;
                int within = (int) (pos % clusterSize);
                int n = Math.min(s.remaining(), clusterSize - within);
                byte[] c = clusters.computeIfAbsent(index, k -> new byte[clusterSize]);
                s.get(c, within, n);
                pos += n;
            }
        }
    }

    @Override
    public void flush() {
        flushes.incrementAndGet();
    }

    @Override
    public void trim(long offset, long length) {
        checkRange(offset, length);
        checkWritable();
        zero(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean fua) {
        checkRange(offset, length);
        checkWritable();
        zero(offset, length);
    }

    private void zero(long offset, long length) {
        synchronized (lock) {
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                long index = pos / clusterSize;
                int within = (int) (pos % clusterSize);
                int n = (int) Math.min(end - pos, clusterSize - within);
                if (within == 0 && n == clusterSize) {
                    clusters.remove(index);
                } else {
                    byte[] c = clusters.get(index);
                    if (c != null) {
                        java.util.Arrays.fill(c, within, within + n, (byte) 0);
                    }
                }
                pos += n;
            }
        }
    }

    private Map<Long, byte[]> copy(Map<Long, byte[]> from) {
        Map<Long, byte[]> to = new TreeMap<>();
        from.forEach((k, v) -> to.put(k, v.clone()));
        return to;
    }

    @Override
    public SnapshotInfo snapshot(String snapshotName) {
        Objects.requireNonNull(snapshotName, "snapshotName");
        synchronized (lock) {
            if (snapshots.containsKey(snapshotName)) {
                throw new VolumeConflictException("snapshot " + snapshotName + " of " + name + " exists");
            }
            SnapshotInfo info = new SnapshotInfo(snapshotName, nextSnapshotId.getAndIncrement(), Instant.now(), true);
            snapshots.put(snapshotName, new Snapshot(info, copy(clusters)));
            return info;
        }
    }

    /** A copy of the snapshot's clusters (for clones). */
    Map<Long, byte[]> snapshotClusters(String snapshotName) {
        synchronized (lock) {
            Snapshot s = snapshots.get(snapshotName);
            if (s == null) {
                throw new VolumeNotFoundException("no snapshot " + snapshotName + " of " + name);
            }
            return copy(s.clusters());
        }
    }

    /** Name of the latest snapshot, or null. */
    String latestSnapshot() {
        synchronized (lock) {
            String last = null;
            for (String k : snapshots.keySet()) {
                last = k;
            }
            return last;
        }
    }

    void replaceClusters(Map<Long, byte[]> content) {
        synchronized (lock) {
            clusters = content;
        }
    }

    @Override
    public List<SnapshotInfo> listSnapshots() {
        synchronized (lock) {
            List<SnapshotInfo> out = new ArrayList<>();
            snapshots.values().forEach(s -> out.add(s.info()));
            return out;
        }
    }

    @Override
    public void deleteSnapshot(String snapshotName) {
        synchronized (lock) {
            if (snapshots.remove(snapshotName) == null) {
                throw new VolumeNotFoundException("no snapshot " + snapshotName + " of " + name);
            }
        }
    }

    @Override
    public void rollback(String snapshotName) {
        checkWritable();
        synchronized (lock) {
            Snapshot s = snapshots.get(snapshotName);
            if (s == null) {
                throw new VolumeNotFoundException("no snapshot " + snapshotName + " of " + name);
            }
            clusters = copy(s.clusters());
            boolean after = false;
            for (var it = snapshots.keySet().iterator(); it.hasNext(); ) {
                String k = it.next();
                if (after) {
                    it.remove();
                }
                if (k.equals(snapshotName)) {
                    after = true;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
