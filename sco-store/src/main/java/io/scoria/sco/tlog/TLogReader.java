package io.scoria.sco.tlog;

import io.scoria.sco.ScoFormatException;
import io.scoria.sco.TLogVisitor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Reads TLog records in order. A record whose crc does not match, or whose type is 0, ends
 * the log: everything before it is valid (torn-tail detection after a crash). Stateless and
 * thread-safe; replays allocation-free per record.
 */
public final class TLogReader {

    /**
     * @param records     valid records including header and checksum
     * @param sealed      a checksum record was found and it matches every byte before it
     * @param tornTail    bytes after the last valid record were neither zero nor a valid record
     * @param tlogNumber  number recorded in the header
     */
    public record Result(int records, boolean sealed, boolean tornTail, long tlogNumber, int clusterSize) {
    }

    private TLogReader() {
    }

    static int recordCrc(CRC32C crc, ByteBuffer buf, int base, int type) {
        crc.reset();
        crc.update(type & 0xFF);
        crc.update((type >>> 8) & 0xFF);
        crc.update((type >>> 16) & 0xFF);
        crc.update((type >>> 24) & 0xFF);
        int pos = buf.position();
        int lim = buf.limit();
        buf.limit(base + TLogRecord.SIZE).position(base + 8);
        crc.update(buf);
        buf.limit(lim).position(pos);
        return (int) crc.getValue();
    }

    /** Reads a whole sealed TLog (for example one downloaded from the backend). */
    public static Result replaySealed(ByteBuffer tlog, String what, TLogVisitor visitor) {
        Result r = scan(tlog.duplicate().order(ByteOrder.LITTLE_ENDIAN), what, visitor);
        TLogWriter.checkSealed(r, what);
        return r;
    }

    /** Reads a local TLog file, sealed or not, stopping at a torn tail. */
    public static Result replayFile(Path file, TLogVisitor visitor) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            return scan(map.order(ByteOrder.LITTLE_ENDIAN), file.toString(), visitor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read TLog " + file, e);
        }
    }

    /**
     * Scans records from position 0 of {@code buf} (little endian) and passes them to
     * {@code visitor} (may be null).
     */
    public static Result scan(ByteBuffer buf, String what, TLogVisitor visitor) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        int count = buf.limit() / TLogRecord.SIZE;
        int valid = 0;
        boolean sealed = false;
        boolean torn = false;
        long number = -1;
        int clusterSize = 0;
        for (int i = 0; i < count; i++) {
            int base = i * TLogRecord.SIZE;
            int type = buf.getInt(base);
            if (type == 0) {
                torn = !allZero(buf, base, Math.min(buf.limit(), base + TLogRecord.SIZE));
                break;
            }
            if (recordCrc(crc, buf, base, type) != buf.getInt(base + 4)) {
                torn = true;
                break;
            }
            long a = buf.getLong(base + 8);
            long b = buf.getLong(base + 16);
            long c = buf.getLong(base + 24);
            long d = buf.getLong(base + 32);
            long e = buf.getLong(base + 40);
            if (i == 0) {
                if (type != TLogRecord.HEADER || a != TLogRecord.MAGIC) {
                    throw new ScoFormatException(what + " does not start with a TLog header");
                }
                if (b != TLogRecord.FORMAT_VERSION) {
                    throw new ScoFormatException(what + " has TLog format version " + b + ", this build reads "
                            + TLogRecord.FORMAT_VERSION);
                }
                number = c;
                clusterSize = (int) d;
                valid++;
                continue;
            }
            switch (type) {
                case TLogRecord.CLUSTER -> {
                    if (visitor != null) {
                        visitor.cluster(a, b, c, d, (int) e);
                    }
                }
                case TLogRecord.HYDRATED -> {
                    if (visitor != null) {
                        visitor.hydrated(a, b, c, d, (int) e);
                    }
                }
                case TLogRecord.SCO_SEALED -> {
                    if (visitor != null) {
                        visitor.scoSealed(a, (int) b, (int) c);
                    }
                }
                case TLogRecord.SYNC -> {
                    if (visitor != null) {
                        visitor.syncPoint(a);
                    }
                }
                case TLogRecord.SNAPSHOT -> {
                    if (visitor != null) {
                        visitor.snapshot(a);
                    }
                }
                case TLogRecord.CHECKSUM -> {
                    crc.reset();
                    crc.update(buf.duplicate().position(0).limit(base));
                    if ((int) crc.getValue() != (int) a || b != i) {
                        throw new ScoFormatException(what + ": TLog checksum record does not match its content");
                    }
                    sealed = true;
                }
                default -> throw new ScoFormatException(what + ": unknown TLog record type " + type + " at record " + i);
            }
            valid++;
            if (sealed) {
                break;
            }
        }
        if (valid == 0 && count > 0 && !torn) {
            throw new ScoFormatException(what + " is empty: no TLog header");
        }
        return new Result(valid, sealed, torn, number, clusterSize);
    }

    private static boolean allZero(ByteBuffer buf, int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
