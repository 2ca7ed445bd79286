package io.scoria.sco.cache;

import io.scoria.sco.ClusterLocation;
import io.scoria.sco.ScoFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The SCO a volume currently appends to: a local file of clusters with a running CRC32C.
 * {@link #seal()} forces the file and returns the CRC32C of its whole content, which the TLog
 * records in its SCO-sealed marker (FORMATS.md).
 *
 * <p>Not thread-safe for appends (the volume serialises them); {@link #read} may be called
 * concurrently with appends for clusters already appended.
 */
public final class OpenSco implements AutoCloseable {
    private final Path path;
    private final long scoId;
    private final int clusterSize;
    private final int capacity;
    private final FileChannel channel;
    private final CRC32C crc = new CRC32C();
    private int clusters;
    private boolean sealed;

    private OpenSco(Path path, long scoId, int clusterSize, int capacity, FileChannel channel, int clusters) {
        this.path = path;
        this.scoId = scoId;
        this.clusterSize = clusterSize;
        this.capacity = capacity;
        this.channel = channel;
        this.clusters = clusters;
    }

    /** Creates the file of a new SCO (and its directory, the first time). */
    public static OpenSco create(Path path, long scoId, int clusterSize, int capacityClusters) {
        try {
            return new OpenSco(path, scoId, clusterSize, capacityClusters, createFile(path), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create SCO " + path, e);
        }
    }

    /** Creates a new, empty SCO file (and its directory, the first time); fails if it exists. */
    static FileChannel createFile(Path path) throws IOException {
        try {
            return FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (java.nio.file.NoSuchFileException e) {
            // the directory's first SCO: checking for the directory before every SCO costs a failing mkdir
            java.nio.file.Files.createDirectories(path.getParent());
            return FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
    }

    /**
     * Opens the file a {@link LocalScoCache#prepare} made for this SCO: new and empty, or a
     * recycled evicted SCO whose bytes the appends overwrite and {@link #seal()} cuts off.
     */
    public static OpenSco openPrepared(Path path, long scoId, int clusterSize, int capacityClusters) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return new OpenSco(path, scoId, clusterSize, capacityClusters, ch, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open prepared SCO " + path, e);
        }
    }

    /**
     * Reopens an unsealed SCO after a restart, keeping its first {@code clusters} clusters (the
     * ones the TLog references) and computing the CRC over them.
     */
    public static OpenSco recover(Path path, long scoId, int clusterSize, int capacityClusters, int clusters) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            long want = (long) clusters * clusterSize;
            if (ch.size() < want) {
                ch.close();
                throw new ScoFormatException("SCO " + path + " holds " + ch.size() + " bytes but the TLog references "
                        + want);
            }
            ch.truncate(want);
            OpenSco sco = new OpenSco(path, scoId, clusterSize, capacityClusters, ch, clusters);
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long pos = 0;
            while (pos < want) {
                buf.clear().limit((int) Math.min(buf.capacity(), want - pos));
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) {
                        throw new ScoFormatException("SCO " + path + " ended early");
                    }
                }
                buf.flip();
                pos += buf.remaining();
                sco.crc.update(buf);
            }
            return sco;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover SCO " + path, e);
        }
    }

    public long scoId() {
        return scoId;
    }

    public Path path() {
        return path;
    }

    public int clusters() {
        return clusters;
    }

    public boolean isFull() {
        return clusters >= capacity;
    }

    public boolean isSealed() {
        return sealed;
    }

    /**
     * Appends one cluster ({@code src} from position to limit, exactly one cluster; position
     * unchanged) and returns its offset in clusters.
     */
    public int append(ByteBuffer src) {
        if (sealed || clusters >= capacity) {
            throw new IllegalStateException("SCO " + path + " is " + (sealed ? "sealed" : "full"));
        }
        if (src.remaining() != clusterSize) {
            throw new IllegalArgumentException("src must hold exactly one cluster of " + clusterSize + " bytes: " + src.remaining());
        }
        return write(src, 1);
    }

    /** Clusters that can still be appended. */
    public int free() {
        return sealed ? 0 : capacity - clusters;
    }

    /**
     * Appends {@code count} clusters with one positional write ({@code src} from its position
     * holds at least {@code count} clusters; position unchanged; the caller keeps ownership)
     * and returns the offset of the first.
     */
    public int append(ByteBuffer src, int count) {
        if (count < 1 || count > free()) {
            throw new IllegalArgumentException("count must be 1.." + free() + " for SCO " + path + ": " + count);
        }
        long bytes = (long) count * clusterSize;
        if (src.remaining() < bytes) {
            throw new IllegalArgumentException("src holds " + src.remaining() + " bytes, not " + count + " clusters");
        }
        return write(src, count);
    }

    /**
     * Writes the first {@code count} clusters of {@code src} after the appended ones and adds
     * them to the CRC; position and limit of {@code src} unchanged. Arguments already checked.
     */
    private int write(ByteBuffer src, int count) {
        int offset = clusters;
        long pos = (long) offset * clusterSize;
        int start = src.position();
        int limit = src.limit();
        src.limit(start + count * clusterSize);
        try {
            while (src.hasRemaining()) {
                channel.write(src, pos + src.position() - start);
            }
            src.position(start);
            crc.update(src);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to SCO " + path, e);
        } finally {
            src.limit(limit).position(start);
        }
        clusters += count;
        return offset;
    }

    /** Reads cluster {@code offset} into {@code dst} (exactly one cluster remaining). */
    public void read(int offset, ByteBuffer dst) {
        readCluster(channel, path, (long) offset * clusterSize, dst);
    }

    static void readCluster(FileChannel ch, Path path, long pos, ByteBuffer dst) {
        int start = dst.position();
        try {
            while (dst.hasRemaining()) {
                if (ch.read(dst, pos + dst.position() - start) < 0) {
                    throw new ScoFormatException("SCO " + path + " ended before offset " + pos);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read SCO " + path, e);
        }
    }

    /**
     * Makes every appended cluster durable on local flash. May be called from any thread, also
     * while another thread appends, seals or closes: once the channel is closed the file is
     * forced through its path (fsync covers every write made through any descriptor).
     */
    public void force() {
        try {
            channel.force(false);
        } catch (ClosedChannelException e) {
            forceFile(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fsync SCO " + path, e);
        }
    }

    /**
     * Forces the SCO file at {@code path} (for example a sealed SCO whose writer is closed).
     *
     * @throws java.nio.file.NoSuchFileException wrapped in UncheckedIOException when the file is gone
     */
    public static void forceFile(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fsync SCO " + path, e);
        }
    }

    /**
     * Ends appends, cuts the file to what was appended (a recycled file may be longer) and
     * returns the CRC32C of the content; idempotent. It does not fsync: FLUSH and FUA force a
     * sealed SCO until it is on the backend ({@link #force()}, {@link #forceFile}), after which
     * the backend copy is the durable one, so neither the write path nor the upload waits for a
     * whole-SCO fsync.
     */
    public int seal() {
        if (!sealed) {
            try {
                if (channel.size() > byteSize()) {
                    channel.truncate(byteSize()); // a recycled file's older bytes past the last append
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot cut SCO " + path + " to " + byteSize() + " bytes", e);
            }
        }
        sealed = true;
        return (int) crc.getValue();
    }

    /** Bytes written. */
    public long byteSize() {
        return (long) clusters * clusterSize;
    }

    /** CRC32C of a whole sealed SCO (for checking a download against its TLog marker). */
    public static int checksum(ByteBuffer content) {
        CRC32C c = new CRC32C();
        c.update(content.duplicate());
        return (int) c.getValue();
    }

    /** Reads buffer of {@link #verifySealed}, one per thread (the upload threads). */
    private static final ThreadLocal<ByteBuffer> VERIFY_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(256 << 10));

    /**
     * Checks that the sealed SCO file at {@code path} holds exactly {@code bytes} bytes whose
     * CRC32C is {@code crc} (the TLog's SCO_SEALED record).
     *
     * @throws ScoFormatException naming the file, what was expected and what was found
     */
    public static void verifySealed(Path path, long bytes, int crc) {
        ByteBuffer buf = VERIFY_BUFFER.get();
        CRC32C c = new CRC32C();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (ch.size() != bytes) {
                throw new ScoFormatException("SCO " + path + " holds " + ch.size() + " bytes but its TLog sealed it with "
                        + bytes + " (lost by a power loss before it was forced?)");
            }
            long pos = 0;
            while (pos < bytes) {
                buf.clear().limit((int) Math.min(buf.capacity(), bytes - pos));
                while (buf.hasRemaining()) {
                    if (ch.read(buf, pos + buf.position()) < 0) {
                        throw new ScoFormatException("SCO " + path + " ended early at byte " + (pos + buf.position()));
                    }
                }
                buf.flip();
                pos += buf.remaining();
                c.update(buf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read SCO " + path, e);
        }
        if ((int) c.getValue() != crc) {
            throw new ScoFormatException(String.format("SCO %s does not match its TLog's SCO_SEALED record: CRC32C %08x, "
                    + "expected %08x (data lost by a power loss before it was forced, or damaged on local flash); "
                    + "it is not uploaded", path, (int) c.getValue(), crc));
        }
    }

    public static String describe(long scoId) {
        return ClusterLocation.toString(scoId);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close SCO " + path, e);
        }
    }
}
