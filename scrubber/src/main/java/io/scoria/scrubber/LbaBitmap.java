package io.scoria.scrubber;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One bit per cluster of a volume, in a sparse memory-mapped scratch file, so the scrubber's
 * heap does not grow with the volume size (a 16 TiB volume of 4 KiB clusters needs 512 MiB of
 * scratch, mostly never touched). Not thread-safe.
 */
final class LbaBitmap implements AutoCloseable {
    private static final long CHUNK_BYTES = 256L << 20;
    private static final long BITS_PER_CHUNK = CHUNK_BYTES * 8;

    private final Path file;
    private final long bits;
    private FileChannel channel;
    private final List<LongBuffer> chunks = new ArrayList<>();

    LbaBitmap(Path file, long bits) {
        this.file = file;
        this.bits = bits;
        open();
    }

    private void open() {
        try {
            Files.deleteIfExists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.SPARSE);
            long bytes = ((bits + 63) / 64) * 8;
            chunks.clear();
            for (long off = 0; off < bytes; off += CHUNK_BYTES) {
                long len = Math.min(CHUNK_BYTES, bytes - off);
                MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_WRITE, off, len);
                chunks.add(map.order(ByteOrder.nativeOrder()).asLongBuffer());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create scratch bitmap " + file, e);
        }
    }

    /** Sets the bit; returns its previous value. */
    boolean testAndSet(long index) {
        if (index < 0 || index >= bits) {
            throw new IndexOutOfBoundsException("cluster " + index + " outside a volume of " + bits + " clusters");
        }
        LongBuffer chunk = chunks.get((int) (index / BITS_PER_CHUNK));
        long inChunk = index % BITS_PER_CHUNK;
        int word = (int) (inChunk >>> 6);
        long mask = 1L << (inChunk & 63);
        long w = chunk.get(word);
        if ((w & mask) != 0) {
            return true;
        }
        chunk.put(word, w | mask);
        return false;
    }

    /** Clears every bit by replacing the file with a new sparse one. */
    void clear() {
        closeChannel();
        open();
    }

    private void closeChannel() {
        chunks.clear();
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        closeChannel();
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
