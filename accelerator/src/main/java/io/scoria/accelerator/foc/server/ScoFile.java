package io.scoria.accelerator.foc.server;

import io.scoria.accelerator.foc.FocCorruptDataException;
import io.scoria.accelerator.foc.protocol.FocProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The FOC entries of one SCO of one volume: an append-only file of fixed-size records.
 *
 * <pre>
 * header (24 bytes) = u32 magic "SFCF" | u16 format 1 | u16 flushMark | u32 clusterSize | u64 scoNumber | u32 crc32c(previous 20 bytes)
 * record            = u32 magic "FCRE" | u64 lba | u64 scoNumber | u32 offsetInSco | u32 scoVersion
 *                     | clusterSize bytes | u32 crc32c(magic..cluster bytes)
 * </pre>
 * Here {@code clusterSize} is the volume's entry payload size: the cluster size for clear entries, the
 * cluster size + 48 for sealed ones ({@link io.scoria.accelerator.foc.FocEntryFormat}); the server never
 * looks inside a payload.
 *
 * Files of removed SCOs are reused for later SCOs ({@link #retire}, {@link #reuse}): the header is
 * rewritten and new records overwrite the old ones, whose pages are usually still cached (an append
 * to a new file costs a page allocation and an ext4 block reservation: about three quarters of the
 * FOC server's CPU under fio). Records behind the append point are left over from an older SCO;
 * they name that SCO, so they never count as records of this one.
 *
 * <p>{@code flushMark} is a count of records known to be on stable storage (at most 65535): after
 * a FLUSH's fdatasync returns, the header is rewritten with the record count, without another
 * fsync; the next FLUSH makes it durable. So the mark on disk never exceeds what was flushed
 * (0 in files of older servers, which left the field 0).
 *
 * <p>Opening an existing file scans it. A record below the mark that is missing or fails its
 * check is corruption and raises {@link FocCorruptDataException} (never silently dropped), as
 * does a bad header. From the first bad record at or above the mark on, the rest is cut off
 * with a warning: it was not flushed, and a power loss can leave unflushed records in any
 * pattern (write-back does not follow the append order; a hole in a reused file shows an older
 * SCO's records), so cutting there keeps what the client may rely on. Reads verify every record
 * again.
 *
 * <p>Not thread-safe: confined to its volume's executor.
 */
final class ScoFile implements AutoCloseable {
    static final int FILE_MAGIC = 0x53464346;
    static final int RECORD_MAGIC = 0x46435245;
    static final short FORMAT = 1;
    static final int HEADER_BYTES = 24;

    private static final Logger LOG = LoggerFactory.getLogger(ScoFile.class);

    private final Path path;
    private final long scoNumber;
    private final int clusterSize;
    private final int recordBytes;
    private final FileChannel channel;
    private final CRC32C crc = new CRC32C();
    private long end;
    private long entries;
    private boolean dirty;
    /** The flush mark last written into the header (durable once the file is forced again). */
    private long markWritten;
    static final int MAX_MARK = 0xFFFF;

    private ScoFile(Path path, long scoNumber, int clusterSize, FileChannel channel) {
        this.path = path;
        this.scoNumber = scoNumber;
        this.clusterSize = clusterSize;
        this.recordBytes = recordBytes(clusterSize);
        this.channel = channel;
    }

    static int recordBytes(int clusterSize) {
        return 4 + FocProtocol.ENTRY_HEADER_BYTES + clusterSize + 4;
    }

    static String fileName(long scoNumber) {
        return String.format("sco-%016x.foc", scoNumber);
    }

    /** The SCO number named by {@code fileName}, or -1 if it is not a SCO file name. */
    static long parseFileName(String fileName) {
        if (fileName.length() != 24 || !fileName.startsWith("sco-") || !fileName.endsWith(".foc")) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(fileName.substring(4, 20), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Creates an empty file with its header (not yet fsynced). */
    static ScoFile create(Path path, long scoNumber, int clusterSize) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        ScoFile f = new ScoFile(path, scoNumber, clusterSize, ch);
        try {
            f.writeHeader();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return f;
    }

    /**
     * Creates the file of SCO {@code scoNumber} at {@code path} from {@code spare}, a retired file:
     * writes the new header first, then renames it. A crash between the two leaves a spare with a
     * new header (harmless); a power loss that keeps the rename but not the header leaves a header
     * naming a removed SCO, which {@link #open} treats as an empty file (nothing in it was flushed).
     */
    static ScoFile reuse(Path spare, Path path, long scoNumber, int clusterSize) throws IOException {
        FileChannel ch = FileChannel.open(spare, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ScoFile f = new ScoFile(path, scoNumber, clusterSize, ch);
        try {
            f.writeHeader();
            Files.move(spare, path, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return f;
    }

    /** Closes the file and renames it to {@code spare}, for {@link #reuse} by a later SCO. */
    void retire(Path spare) throws IOException {
        close();
        Files.move(path, spare, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Opens an existing file, truncating a torn tail; see the class comment. A header naming a SCO
     * at or below {@code removedUpTo} (already on the backend) marks a reused file whose new header
     * was lost: it opens empty. Any other mismatch is corruption.
     */
    static ScoFile open(Path path, long scoNumber, int clusterSize, long removedUpTo) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        ScoFile f = new ScoFile(path, scoNumber, clusterSize, ch);
        try {
            f.recover(removedUpTo);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return f;
    }

    private void writeHeader() throws IOException {
        writeHeaderBytes(0);
        markWritten = 0;
        end = HEADER_BYTES;
        dirty = true;
    }

    private void writeHeaderBytes(long mark) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
        h.putInt(FILE_MAGIC).putShort(FORMAT).putShort((short) mark).putInt(clusterSize).putLong(scoNumber);
        crc.reset();
        crc.update(h.array(), 0, 20);
        h.putInt((int) crc.getValue()).flip();
        writeFully(h, 0);
    }

    private void recover(long removedUpTo) throws IOException {
        long size = channel.size();
        if (size < HEADER_BYTES) {
            LOG.warn("FOC file {}: torn header ({} bytes), rewriting it empty", path, size);
            channel.truncate(0);
            writeHeader();
            channel.force(true);
            return;
        }
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES);
        readFully(h, 0);
        crc.reset();
        crc.update(h.array(), 0, 20);
        if (h.getInt(0) != FILE_MAGIC || h.getShort(4) != FORMAT || h.getInt(20) != (int) crc.getValue()) {
            throw new FocCorruptDataException("FOC file " + path + ": bad header (magic, format or CRC32C)");
        }
        if (h.getInt(8) == clusterSize && h.getLong(12) != scoNumber && h.getLong(12) <= removedUpTo) {
            // a reused file whose new header did not reach the disk before a power loss: no record of
            // this SCO in it was flushed (a flush fsyncs the header too), so it is empty
            LOG.warn("FOC file {}: header of SCO {} (a reused file), starting it empty", path, h.getLong(12));
            channel.truncate(0);
            writeHeader();
            channel.force(true);
            return;
        }
        if (h.getInt(8) != clusterSize || h.getLong(12) != scoNumber) {
            throw new FocCorruptDataException("FOC file " + path + ": header says cluster size " + h.getInt(8)
                    + " and SCO " + h.getLong(12) + ", expected " + clusterSize + " and " + scoNumber);
        }
        long mark = Short.toUnsignedInt(h.getShort(6));
        ByteBuffer rec = ByteBuffer.allocateDirect(recordBytes);
        long pos = HEADER_BYTES;
        long n = 0;
        while (pos + recordBytes <= size && validRecordAt(rec, pos)) {
            pos += recordBytes;
            n++;
        }
        if (n < mark) {
            throw new FocCorruptDataException("FOC file " + path + ": record " + n + " at byte " + pos + (pos + recordBytes <= size
                    ? " fails its CRC32C/format check" : " is missing (the file ends at byte " + size + ")")
                    + ", but the file's flush mark says its first " + mark + " records were flushed: corruption, not a torn tail");
        }
        if (pos < size) {
            LOG.warn("FOC file {}: {} bytes after {} valid entries ({} flushed) cut off: a torn or unflushed tail", path,
                    size - pos, n, mark);
            channel.truncate(pos);
            channel.force(true);
        }
        markWritten = mark;
        end = pos;
        entries = n;
    }

    private boolean validRecordAt(ByteBuffer rec, long pos) throws IOException {
        rec.clear();
        readFully(rec, pos);
        return validRecord(rec, 0);
    }

    /** True if the record at {@code off} of {@code buf} has its magic, this SCO number and a good CRC. */
    private boolean validRecord(ByteBuffer buf, int off) {
        if (buf.getInt(off) != RECORD_MAGIC || buf.getLong(off + 12) != scoNumber) {
            return false;
        }
        int crcAt = off + recordBytes - 4;
        crc.reset();
        crc.update(buf.slice(off, recordBytes - 4));
        return buf.getInt(crcAt) == (int) crc.getValue();
    }

    /**
     * Encodes one entry (wire layout, {@code entryBytes} long at {@code src}'s position) as a record
     * at {@code dst}'s position; advances {@code dst}. {@code src}'s position is unchanged.
     */
    static void encodeRecord(ByteBuffer dst, ByteBuffer src, CRC32C crc) {
        int start = dst.position();
        dst.putInt(RECORD_MAGIC);
        int pos = src.position();
        dst.put(src);
        src.position(pos);
        crc.reset();
        crc.update(dst.slice(start, dst.position() - start));
        dst.putInt((int) crc.getValue());
    }

    /** Appends already encoded records ({@code records.remaining()} a multiple of the record size). */
    void append(ByteBuffer records) throws IOException {
        int n = records.remaining() / recordBytes;
        writeFully(records, end);
        end += (long) n * recordBytes;
        entries += n;
        dirty = true;
    }

    /**
     * fdatasyncs if anything was written since the last call, then records in the header how many
     * records are now flushed (durable with the next call; see the class comment).
     */
    void force() throws IOException {
        if (dirty) {
            channel.force(false);
            dirty = false;
            long mark = Math.min(entries, MAX_MARK);
            if (mark > markWritten) {
                writeHeaderBytes(mark);
                markWritten = mark;
                dirty = true;
            }
        }
    }

    /** Receives records read back; {@code chunk} holds the entry (wire layout) at {@code entryOffset}. */
    interface EntryVisitor {
        void entry(ByteBuffer chunk, int entryOffset) throws IOException;
    }

    /**
     * Reads every entry in order, verifying each record, into {@code visitor}. {@code scratch}
     * (direct, at least one record) is reused between reads.
     */
    long forEach(ByteBuffer scratch, EntryVisitor visitor) throws IOException {
        int perRead = Math.max(1, scratch.capacity() / recordBytes);
        long pos = HEADER_BYTES;
        long index = 0;
        while (pos < end) {
            int n = (int) Math.min(perRead, (end - pos) / recordBytes);
            scratch.clear().limit(n * recordBytes);
            readFully(scratch, pos);
            for (int i = 0; i < n; i++) {
                int off = i * recordBytes;
                if (!validRecord(scratch, off)) {
                    throw new FocCorruptDataException("FOC file " + path + ": record " + (index + i) + " at byte "
                            + (pos + off) + " fails its CRC32C/format check on read");
                }
                visitor.entry(scratch, off + 4);
            }
            index += n;
            pos += (long) n * recordBytes;
        }
        return index;
    }

    long scoNumber() {
        return scoNumber;
    }

    long entries() {
        return entries;
    }

    /** Bytes in the file, header included. */
    long sizeBytes() {
        return end;
    }

    Path path() {
        return path;
    }

    private void writeFully(ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += channel.write(b, pos);
        }
    }

    private void readFully(ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = channel.read(b, pos);
            if (r < 0) {
                throw new FocCorruptDataException("FOC file " + path + ": unexpected end at byte " + pos);
            }
            pos += r;
        }
    }

    /** Closes and deletes the file. */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(path);
    }

    @Override
    public void close() throws IOException {
        if (channel.isOpen()) {
            channel.close();
        }
    }
}
