package io.scoria.backend.fs;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Writes new object files with {@code O_DIRECT}, bypassing the page cache. An object store's
 * files are written once and read back rarely (a cache miss reads a range), so caching them
 * only costs: each buffered write allocates a new page-cache page per 4 KiB, which on a VM
 * under write-back costs 3-4x a plain copy (measured with dd on the build machine: a 1 GiB
 * buffered copy 3.25 s of system CPU, the same copy with {@code oflag=direct} 0.22 s). Data
 * is staged through reused, aligned 1 MiB buffers; the last block is padded with zeros and
 * the file truncated to its real size before it is forced.
 *
 * <p>{@link #probe} decides once per store whether its file system accepts {@code O_DIRECT}
 * (tmpfs does not); without it the store writes through the page cache as before. Thread-safe.
 */
final class DirectWriter {
    /** Alignment of offsets, lengths and buffer addresses: a multiple of any logical block size. */
    static final int ALIGN = 4096;
    /** Objects smaller than this are written through the page cache (manifests, small TLogs). */
    static final long MIN_SIZE = 64 * 1024;
    private static final int CHUNK = 1 << 20;
    private static final int POOLED = 4;

    /** Where a write's bytes come from: fills {@code dst} from {@code position} of the source. */
    interface Source {
        int read(ByteBuffer dst, long position) throws IOException;
    }

    private final ConcurrentLinkedQueue<ByteBuffer> buffers = new ConcurrentLinkedQueue<>();

    private DirectWriter() {
    }

    /**
     * A writer for files in {@code dir}, or null if its file system rejects {@code O_DIRECT}
     * (tried with one aligned block in a temporary file, deleted again).
     */
    static DirectWriter probe(Path dir, String tempPrefix) {
        Path probe = dir.resolve(tempPrefix + "direct-probe-" + UUID.randomUUID());
        DirectWriter w = new DirectWriter();
        try {
            w.write(probe, (dst, pos) -> {
                int n = dst.remaining();
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return n;
            }, ALIGN);
            return w;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover temp file is removed at the next open
            }
        }
    }

    /**
     * Creates {@code file} (it must not exist) holding {@code size} bytes of {@code source},
     * forced to stable storage.
     */
    void write(Path file, Source source, long size) throws IOException {
        ByteBuffer buf = buffers.poll();
        if (buf == null) {
            buf = ByteBuffer.allocateDirect(CHUNK + ALIGN).alignedSlice(ALIGN);
        }
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                ExtendedOpenOption.DIRECT)) {
            long pos = 0;
            while (pos < size) {
                int want = (int) Math.min(CHUNK, size - pos);
                buf.clear().limit(want);
                while (buf.hasRemaining()) {
                    if (source.read(buf, pos + buf.position()) < 0) {
                        throw new IOException("source ended at byte " + (pos + buf.position()) + " of " + size);
                    }
                }
                int padded = (want + ALIGN - 1) & -ALIGN;
                buf.limit(padded);
                while (buf.hasRemaining()) {
                    buf.put((byte) 0);
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    out.write(buf, pos + buf.position());
                }
                pos += want;
            }
            if (size % ALIGN != 0) {
                out.truncate(size);
            }
            out.force(true);
        } finally {
            if (buffers.size() < POOLED) {
                buffers.offer(buf);
            }
        }
    }
}
