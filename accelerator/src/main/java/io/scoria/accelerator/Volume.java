package io.scoria.accelerator;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A virtual disk: an array of bytes of fixed {@link #size()}, stored as clusters in SCOs and
 * TLogs (DESIGN.md). Offsets and lengths need not be cluster aligned; a call covers at most
 * {@link #MAX_IO_BYTES}. Unwritten bytes read as zeros.
 *
 * <p>Thread-safety: every method may be called from many threads at once; writes to
 * overlapping ranges that race are applied in some order, each atomically per cluster.
 *
 * <p>Buffers: the caller keeps ownership of {@code src} and {@code dst}; the volume never keeps
 * a reference after the call returns. {@code dst}'s position advances by the bytes read;
 * {@code src}'s position is left unchanged.
 */
public interface Volume extends AutoCloseable {

    /** Largest byte count accepted by one read or write call. */
    int MAX_IO_BYTES = 32 << 20;

    String name();

    /** Size in bytes. */
    long size();

    /** Cluster size in bytes (4 KiB by default). */
    int clusterSize();

    /** True for templates and read-only snapshot exports: every write is refused. */
    boolean isReadOnly();

    /** Reads {@code dst.remaining()} bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst);

    /**
     * Writes {@code src.remaining()} bytes at {@code offset}. When {@code fua} is set the data
     * is durable (local flash fsync and fail-over cache) before the call returns.
     */
    void write(long offset, ByteBuffer src, boolean fua);

    /**
     * {@link #write} whose acknowledgement may come later: the data is applied (and {@code src} no
     * longer used) when this method returns; the future completes, on {@code executor} unless already
     * complete, once the write may be acknowledged to the client with the guarantees of
     * {@link #write} (e.g. after a fail-over cache in sync mode took it). Errors of the write itself
     * are thrown; the future fails only if the acknowledgement fails. The default writes synchronously.
     */
    default CompletableFuture<Void> writeAsync(long offset, ByteBuffer src, boolean fua, Executor executor) {
        write(offset, src, fua);
        return CompletableFuture.completedFuture(null);
    }

    /** Makes every write that returned before this call durable. */
    void flush();

    /** Discards the range: it reads as zeros afterwards and stores nothing. */
    void trim(long offset, long length);

    /** Writes zeros over the range without storing data. */
    void writeZeroes(long offset, long length, boolean fua);

    /**
     * Describes the allocation of {@code [offset, offset + length)} to {@code sink}: consecutive runs
     * that together cover the range unless the sink stops early; the last run may end past the range
     * (at a cluster boundary, never past {@link #size()}). Reading the metadata only: no data I/O. The
     * default reports the whole range as one run of data, which is always correct but skips nothing.
     *
     * @throws IllegalArgumentException if the range is empty or passes the end of the volume
     */
    default void extents(long offset, long length, ExtentSink sink) {
        if (offset < 0 || length <= 0 || offset > size() || length > size() - offset) {
            throw new IllegalArgumentException("extents: range [" + offset + ", " + offset + "+" + length
                    + ") is empty or passes the end of volume '" + name() + "' (" + size() + " bytes)");
        }
        sink.extent(length, false);
    }

    /** Takes a zero-copy snapshot. */
    SnapshotInfo snapshot(String name);

    List<SnapshotInfo> listSnapshots();

    void deleteSnapshot(String name);

    /** Returns the volume to the state of the snapshot; later writes and snapshots are gone. */
    void rollback(String snapshot);

    /** Flushes and releases files and threads; idempotent. */
    @Override
    void close();
}
