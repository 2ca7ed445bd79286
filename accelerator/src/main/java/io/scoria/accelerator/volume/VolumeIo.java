package io.scoria.accelerator.volume;

import io.scoria.accelerator.Volume;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The I/O of one {@link LocalVolume}: read, write, trim, write zeroes and flush, with their argument
 * checks and the volume's locks around the work of {@link RangeReader}, {@link ClusterWriter} and
 * {@link VolumeLog}.
 *
 * <p>Thread-safety: any thread may call it, as any thread may call the volume. It holds no lock and no
 * state of its own: it takes the volume's structure read-write lock (shared) and append lock (owned
 * by the {@link LocalVolume} and shared with it). Reads run in parallel with each other and with
 * writes; writes, trims, zeroings and flushes are serialised by the append lock, which is never held
 * across an fsync: FLUSH and FUA capture what to force under it and force after releasing it. Buffers
 * as in {@link Volume}: {@code dst} and {@code src} are the caller's and are not kept.
 */
final class VolumeIo {
    private final LocalVolume volume;
    private final VolumeLog log;
    private final RangeReader reader;
    private final ClusterWriter writer;
    private final ReentrantReadWriteLock structure;
    private final ReentrantLock append;
    /** The volume's writes, trims and zeroings in flight (read by {@link CloneOperations}). */
    private final AtomicInteger inFlight;

    /** The I/O of {@code volume}, over its log, reader, writer and locks (all owned by the volume). */
    VolumeIo(LocalVolume volume, VolumeLog log, RangeReader reader, ClusterWriter writer,
             ReentrantReadWriteLock structure, ReentrantLock append, AtomicInteger inFlight) {
        this.volume = volume;
        this.log = log;
        this.reader = reader;
        this.writer = writer;
        this.structure = structure;
        this.append = append;
        this.inFlight = inFlight;
    }

    void read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        if (length > Volume.MAX_IO_BYTES) {
            throw new IllegalArgumentException("read: length " + length + " exceeds " + Volume.MAX_IO_BYTES);
        }
        volume.checkRange(offset, length, "read");
        structure.readLock().lock();
        try {
            volume.checkOpen();
            reader.read(offset, dst);
        } finally {
            structure.readLock().unlock();
        }
    }

    void write(long offset, ByteBuffer src, boolean fua) {
        int length = src.remaining();
        if (length > Volume.MAX_IO_BYTES) {
            throw new IllegalArgumentException("write: length " + length + " exceeds " + Volume.MAX_IO_BYTES);
        }
        volume.checkRange(offset, length, "write");
        mutate(offset, length, src, fua, "write");
    }

    void trim(long offset, long length) {
        volume.checkRange(offset, length, "trim");
        mutate(offset, length, null, false, "trim");
    }

    void writeZeroes(long offset, long length, boolean fua) {
        volume.checkRange(offset, length, "writeZeroes");
        mutate(offset, length, null, fua, "writeZeroes");
    }

    /** Writes {@code src} (null: zeros) over the range. */
    private void mutate(long offset, long length, ByteBuffer src, boolean fua, String op) {
        inFlight.incrementAndGet();
        structure.readLock().lock();
        try {
            volume.checkOpen();
            volume.checkWritable(op);
            PendingFlush durable = null;
            append.lock();
            try {
                writer.write(offset, length, src);
                if (fua) {
                    durable = log.beginFlush();
                }
            } finally {
                append.unlock();
            }
            if (durable != null) {
                durable.force();
            }
        } finally {
            structure.readLock().unlock();
            inFlight.decrementAndGet();
        }
    }

    void flush() {
        structure.readLock().lock();
        try {
            volume.checkOpen();
            PendingFlush durable;
            append.lock();
            try {
                durable = log.beginFlush();
            } finally {
                append.unlock();
            }
            durable.force();
        } finally {
            structure.readLock().unlock();
        }
    }
}
