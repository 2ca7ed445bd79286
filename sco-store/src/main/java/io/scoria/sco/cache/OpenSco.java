package io.scoria.sco.cache;

import io.scoria.sco.ClusterLocation;
import io.scoria.sco.Durable;
import io.scoria.sco.ScoFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The SCO a volume currently appends to: a local file of clusters with a running CRC32C.
 * {@link #seal()} forces the file and returns the CRC32C of its whole content, which the TLog
 * records in its SCO-sealed marker (FORMATS.md).
 *
 * <p>A SCO of an encrypted volume is written through a {@link ScoFileCipher}: the file starts with
 * its header and holds the clusters encrypted (FORMATS.md, "Local SCO files of encrypted
 * volumes"); the CRC32C is still that of the plaintext, which the TLog records and the backend
 * copy (the plaintext, transformed by the backend's own format) is checked against. Without a
 * cipher the file is the clusters as written (the layout of every version before).
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
    /** Null: the file is in the clear. */
    private final ScoFileCipher cipher;
    private final long salt;
    /** Bytes before the first cluster: the header's when encrypted, else 0. */
    private final long base;
    private int clusters;
    private boolean sealed;

    private OpenSco(Path path, long scoId, int clusterSize, int capacity, FileChannel channel, int clusters,
                    ScoFileCipher cipher, long salt) {
        this.path = path;
        this.scoId = scoId;
        this.clusterSize = clusterSize;
        this.capacity = capacity;
        this.channel = channel;
        this.clusters = clusters;
        this.cipher = cipher;
        this.salt = salt;
        this.base = cipher == null ? 0 : ScoFileCipher.HEADER_BYTES;
    }

    /** Creates the file of a new SCO (and its directory, the first time). */
    public static OpenSco create(Path path, long scoId, int clusterSize, int capacityClusters) {
        return create(path, scoId, clusterSize, capacityClusters, null);
    }

    /**
     * Creates the file of a new SCO (and its directory, the first time), encrypted by {@code cipher}
     * (null: in the clear).
     */
    public static OpenSco create(Path path, long scoId, int clusterSize, int capacityClusters, ScoFileCipher cipher) {
        try {
            return start(path, scoId, clusterSize, capacityClusters, createFile(path), cipher);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create SCO " + path, e);
        }
    }

    /** A SCO with no cluster yet in {@code ch}; an encrypted one gets its header (fresh salt) first. */
    private static OpenSco start(Path path, long scoId, int clusterSize, int capacity, FileChannel ch,
                                 ScoFileCipher cipher) throws IOException {
        if (cipher == null) {
            return new OpenSco(path, scoId, clusterSize, capacity, ch, 0, null, 0);
        }
        try {
            ByteBuffer header = cipher.newHeader(scoId, clusterSize);
            long salt = ScoFileCipher.saltOf(header);
            writeFully(ch, header, 0);
            return new OpenSco(path, scoId, clusterSize, capacity, ch, 0, cipher, salt);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long pos) throws IOException {
        long at = pos;
        while (src.hasRemaining()) {
            at += ch.write(src, at);
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
        return openPrepared(path, scoId, clusterSize, capacityClusters, null);
    }

    /** {@link #openPrepared(Path, long, int, int)} encrypted by {@code cipher} (null: in the clear). */
    public static OpenSco openPrepared(Path path, long scoId, int clusterSize, int capacityClusters, ScoFileCipher cipher) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            return start(path, scoId, clusterSize, capacityClusters, ch, cipher);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open prepared SCO " + path, e);
        }
    }

    /**
     * Reopens an unsealed SCO after a restart, keeping its first {@code clusters} clusters (the
     * ones the TLog references) and computing the CRC over them.
     */
    public static OpenSco recover(Path path, long scoId, int clusterSize, int capacityClusters, int clusters) {
        return recover(path, scoId, clusterSize, capacityClusters, clusters, null);
    }

    /**
     * {@link #recover(Path, long, int, int, int)} for a volume whose SCOs {@code cipher} encrypts
     * (null: in the clear). An encrypted file is not appended to again: bytes past the logged
     * clusters may have been written before the crash under the same salt, and new clusters at
     * those positions would reuse its key stream. Its logged clusters are copied into a new file
     * with a fresh salt ({@code <name>.rekey}, forced, then renamed over the old one). A file
     * without a header (written before local encryption) goes on in the clear.
     *
     * @throws ScoFormatException naming the volume and the file when it is another SCO's or another key's
     */
    public static OpenSco recover(Path path, long scoId, int clusterSize, int capacityClusters, int clusters,
                                  ScoFileCipher cipher) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            ScoFileCipher.FileLayout layout;
            try {
                layout = ScoFileCipher.FileLayout.of(ch, path, scoId, cipher);
            } catch (RuntimeException e) {
                ch.close();
                throw e;
            }
            long want = (long) clusters * clusterSize;
            if (layout.dataBytes(ch) < want) {
                ch.close();
                throw new ScoFormatException("SCO " + path + " holds " + layout.dataBytes(ch) + " bytes but the TLog references "
                        + want);
            }
            if (layout.cipher() != null) {
                try (ch) {
                    return rekey(path, scoId, clusterSize, capacityClusters, clusters, layout, ch);
                }
            }
            ch.truncate(want);
            OpenSco sco = new OpenSco(path, scoId, clusterSize, capacityClusters, ch, clusters, null, 0);
            copy(ch, want, ScoFileCipher.FileLayout.CLEAR, sco);
            return sco;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot recover SCO " + path, e);
        }
    }

    /** Copies the logged clusters of {@code old} (laid out as {@code was}) into a new file with a fresh salt; see {@link #recover}. */
    private static OpenSco rekey(Path path, long scoId, int clusterSize, int capacity, int clusters, ScoFileCipher.FileLayout was,
                                 FileChannel old) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".rekey");
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            OpenSco fresh = start(path, scoId, clusterSize, capacity, ch, was.cipher());
            fresh.clusters = clusters;
            copy(old, (long) clusters * clusterSize, was, fresh);
            ch.force(true);
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Durable.force(path.getParent());
            return fresh;
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Reads {@code bytes} of SCO data from {@code from} (laid out as {@code was}) and adds them to
     * {@code into}'s CRC; when {@code into} is encrypted, also writes them, encrypted with its salt,
     * into its file.
     */
    private static void copy(FileChannel from, long bytes, ScoFileCipher.FileLayout was, OpenSco into) throws IOException {
        long base = was.base();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long pos = 0;
        while (pos < bytes) {
            buf.clear().limit((int) Math.min(buf.capacity(), bytes - pos));
            while (buf.hasRemaining()) {
                if (from.read(buf, base + pos + buf.position()) < 0) {
                    throw new ScoFormatException("SCO " + into.path + " ended early");
                }
            }
            buf.flip();
            was.decrypt(into.scoId, pos, buf);
            into.crc.update(buf.duplicate());
            if (into.cipher != null) {
                into.cipher.write(into.channel, into.salt, into.scoId, pos, buf);
            }
            pos += buf.remaining();
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
            if (cipher != null) {
                cipher.write(channel, salt, scoId, pos, src);
            } else {
                while (src.hasRemaining()) {
                    channel.write(src, pos + src.position() - start);
                }
                src.position(start);
            }
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
        int start = dst.position();
        long pos = (long) offset * clusterSize;
        readCluster(channel, path, base + pos, dst);
        if (cipher != null) {
            int end = dst.position();
            cipher.apply(salt, scoId, pos, dst.position(start));
            dst.position(end);
        }
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
                if (channel.size() > base + byteSize()) {
                    channel.truncate(base + byteSize()); // a recycled file's older bytes past the last append
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

    /**
     * Checks that the sealed SCO file at {@code path} holds exactly {@code bytes} bytes whose
     * CRC32C is {@code crc} (the TLog's SCO_SEALED record); {@link SealedScoFile#verify} does it
     * for a SCO of an encrypted volume.
     *
     * @throws ScoFormatException naming the file, what was expected and what was found
     */
    public static void verifySealed(Path path, long bytes, int crc) {
        SealedScoFile.verify(path, 0, bytes, crc, null);
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
