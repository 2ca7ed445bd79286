package io.scoria.sco.tlog;

import io.scoria.sco.ScoFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Appends records to one local TLog file, preallocated to {@code capacity} records and memory
 * mapped (the file's channel is closed once mapped: an open TLog holds no file descriptor), so an append is a 48-byte memory copy that survives {@code kill -9} (the page cache
 * keeps it) and {@link #force()} makes it durable on flash.
 *
 * <p>Not thread-safe: the volume serialises appends. The record buffer is reused; no
 * allocation per record.
 */
public final class TLogWriter implements AutoCloseable {
    private final Path path;
    private final long number;
    private final int capacity;
    private final MappedByteBuffer map;
    private final CRC32C crc = new CRC32C();
    private int records;
    private boolean sealed;
    private volatile boolean closed;

    private TLogWriter(Path path, long number, int capacity, MappedByteBuffer map, int records) {
        this.path = path;
        this.number = number;
        this.capacity = capacity;
        this.map = map;
        this.records = records;
    }

    /** Creates a new TLog file with a header record. */
    public static TLogWriter create(Path path, long number, int capacity, int clusterSize) {
        if (capacity < 16) {
            throw new IllegalArgumentException("capacity must be >= 16 records: " + capacity);
        }
        try {
            MappedByteBuffer map;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                map = ch.map(FileChannel.MapMode.READ_WRITE, 0, (long) capacity * TLogRecord.SIZE);
            }
            map.order(ByteOrder.LITTLE_ENDIAN);
            TLogWriter w = new TLogWriter(path, number, capacity, map, 0);
            w.append(TLogRecord.HEADER, TLogRecord.MAGIC, TLogRecord.FORMAT_VERSION, number, clusterSize, 0);
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create TLog " + path, e);
        }
    }

    /**
     * Reopens an unsealed TLog after a restart: appends continue after the last valid record
     * (a torn tail is overwritten).
     */
    public static TLogWriter reopen(Path path, long number, int capacity) {
        try {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (ch.size() < (long) capacity * TLogRecord.SIZE) {
                capacity = (int) (ch.size() / TLogRecord.SIZE);
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, (long) capacity * TLogRecord.SIZE);
            map.order(ByteOrder.LITTLE_ENDIAN);
            TLogReader.Result r = TLogReader.scan(map.duplicate().order(ByteOrder.LITTLE_ENDIAN), path.toString(), null);
            if (r.sealed()) {
                ch.close();
                throw new IllegalStateException("TLog " + path + " is sealed; it cannot be reopened for append");
            }
            ch.close(); // the mapping stays valid without its channel: an open TLog holds no file descriptor
            TLogWriter w = new TLogWriter(path, number, capacity, map, r.records());
            for (int i = r.records(); i < capacity; i++) {
                int base = i * TLogRecord.SIZE;
                if (map.getInt(base) == 0 && map.getLong(base + 8) == 0 && map.getLong(base + 40) == 0) {
                    break;
                }
                for (int j = 0; j < TLogRecord.SIZE; j += 8) {
                    map.putLong(base + j, 0);
                }
            }
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reopen TLog " + path, e);
        }
    }

    /**
     * Cuts an unsealed TLog file after its first {@code records} records (at least the header):
     * every later record is zeroed, so a reader stops there as at a torn tail, and the file is
     * forced. Used when a restart finds that the data of a logged cluster did not reach local
     * flash (a power loss wrote the log back before the SCO): the history then ends before it.
     */
    public static void cut(Path path, int records) {
        if (records < 1) {
            throw new IllegalArgumentException("a TLog keeps at least its header record: " + records);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long from = (long) records * TLogRecord.SIZE;
            if (from >= ch.size()) {
                return;
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, from, ch.size() - from);
            for (int i = 0; i + TLogRecord.SIZE <= map.capacity(); i += TLogRecord.SIZE) {
                if (map.getInt(i) == 0 && map.getLong(i + 8) == 0 && map.getLong(i + 40) == 0) {
                    break; // the old tail's end: zero from here on
                }
                for (int j = 0; j < TLogRecord.SIZE; j += 8) {
                    map.putLong(i + j, 0);
                }
            }
            map.force();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot cut TLog " + path + " after " + records + " records", e);
        }
    }

    public long number() {
        return number;
    }

    public Path path() {
        return path;
    }

    public int records() {
        return records;
    }

    /** Records that can still be appended, keeping room for the seal's checksum record. */
    public int remaining() {
        return capacity - records - 1;
    }

    public void cluster(long lba, long location, long fpHi, long fpLo, int dataCrc) {
        append(TLogRecord.CLUSTER, lba, location, fpHi, fpLo, dataCrc & 0xFFFF_FFFFL);
    }

    /**
     * A cluster a clone copied unchanged from its parent chain (hydration): the same fields as
     * {@link #cluster}, a {@link TLogRecord#HYDRATED} record.
     */
    public void hydrated(long lba, long location, long fpHi, long fpLo, int dataCrc) {
        append(TLogRecord.HYDRATED, lba, location, fpHi, fpLo, dataCrc & 0xFFFF_FFFFL);
    }

    public void scoSealed(long scoId, int crc32c, int clusters) {
        append(TLogRecord.SCO_SEALED, scoId, crc32c & 0xFFFF_FFFFL, clusters, 0, 0);
    }

    public void syncPoint(long epochMillis) {
        append(TLogRecord.SYNC, epochMillis, 0, 0, 0, 0);
    }

    public void snapshot(long snapshotId) {
        append(TLogRecord.SNAPSHOT, snapshotId, 0, 0, 0, 0);
    }

    private void append(int type, long a, long b, long c, long d, long e) {
        if (sealed || closed) {
            throw new IllegalStateException("TLog " + path + " is " + (sealed ? "sealed" : "closed"));
        }
        int limit = type == TLogRecord.CHECKSUM ? capacity : capacity - 1;
        if (records >= limit) {
            throw new IllegalStateException("TLog " + path + " is full (" + capacity + " records)");
        }
        int base = records * TLogRecord.SIZE;
        map.putLong(base + 8, a);
        map.putLong(base + 16, b);
        map.putLong(base + 24, c);
        map.putLong(base + 32, d);
        map.putLong(base + 40, e);
        map.putInt(base + 4, TLogReader.recordCrc(crc, map, base, type));
        map.putInt(base, type);
        records++;
    }

    /** Writes the checksum record over everything before it and forces the file; idempotent. */
    public void seal() {
        if (sealed) {
            return;
        }
        int bytes = records * TLogRecord.SIZE;
        crc.reset();
        crc.update(map.duplicate().position(0).limit(bytes));
        append(TLogRecord.CHECKSUM, crc.getValue(), records, 0, 0, 0);
        sealed = true;
        force();
    }

    public boolean isSealed() {
        return sealed;
    }

    /** Bytes of valid records (what is uploaded once sealed). */
    public int byteSize() {
        return records * TLogRecord.SIZE;
    }

    /**
     * Makes every appended record durable on local flash. May be called from another thread
     * than the appending one, also concurrently with appends (it only msyncs the mapping); after
     * {@link #close()} it returns at once, since close forces the mapping.
     */
    public void force() {
        if (closed) {
            return;
        }
        map.force();
    }

    /** A read-only view of the valid records, for upload; do not keep it after {@link #close()}. */
    public java.nio.ByteBuffer contents() {
        return map.duplicate().position(0).limit(byteSize()).asReadOnlyBuffer();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        map.force();
        // set only after the mapping is forced: a concurrent force() that sees it may return at once
        closed = true;
    }

    static void checkSealed(TLogReader.Result r, String what) {
        if (!r.sealed()) {
            throw new ScoFormatException(what + " is not a sealed TLog: " + r.records() + " valid records, no checksum");
        }
    }
}
