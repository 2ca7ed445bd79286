package io.scoria.sco.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A SCO file made ready off the write path: created under a temporary name ({@code *.prep}),
 * filled with zeros to its full capacity and mapped read-write. Writing the zeros reserves the
 * file's blocks (so a full disk is an {@link IOException} here, never a fault inside the mapping
 * later) and leaves its pages in the page cache, so an append becomes a memory copy instead of
 * a {@code pwrite} that allocates a page. {@link OpenSco#create} renames the file to the SCO's
 * name and takes it over.
 *
 * <p>The mapping is only ever touched by the thread that appends to the SCO (under the volume's
 * append lock) and is unmapped when the SCO is sealed or closed; readers use the file channel.
 * Owned by whoever holds it: {@link #discard()} if it is not used.
 */
public final class PreparedScoFile {
    /** File name suffix of a prepared file not yet taken over; such files are deleted at start. */
    public static final String SUFFIX = ".prep";

    private final Path path;
    private final FileChannel channel;
    private final MappedByteBuffer mapping;

    private PreparedScoFile(Path path, FileChannel channel, MappedByteBuffer mapping) {
        this.path = path;
        this.channel = channel;
        this.mapping = mapping;
    }

    /** Creates, zero-fills and maps {@code path} ({@code bytes} long, at most 2 GiB). */
    static PreparedScoFile create(Path path, int bytes, ByteBuffer zeros) throws IOException {
        Files.createDirectories(path.getParent());
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            long pos = 0;
            while (pos < bytes) {
                ByteBuffer z = zeros.duplicate().clear().limit((int) Math.min(zeros.capacity(), bytes - pos));
                while (z.hasRemaining()) {
                    pos += ch.write(z, pos);
                }
            }
            return new PreparedScoFile(path, ch, ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes));
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(path);
            throw e;
        }
    }

    Path path() {
        return path;
    }

    FileChannel channel() {
        return channel;
    }

    MappedByteBuffer mapping() {
        return mapping;
    }

    /** Unmaps, closes and deletes the file; for a prepared file that will not be used. */
    public void discard() {
        unmap(mapping);
        try {
            channel.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete prepared SCO file " + path, e);
        }
    }

    private static final Object UNSAFE;
    private static final java.lang.reflect.Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        java.lang.reflect.Method cleaner = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // without it, mappings are released by the garbage collector
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    /**
     * Releases a mapping now instead of when the garbage collector finds it (a busy volume seals
     * many SCOs per second; waiting for GC would pile up mappings). The caller guarantees that no
     * thread touches {@code m} afterwards.
     */
    static void unmap(MappedByteBuffer m) {
        if (m == null || INVOKE_CLEANER == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, m);
        } catch (ReflectiveOperationException e) {
            // left to the garbage collector
        }
    }
}
