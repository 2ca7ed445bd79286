package io.scoria.sco.tlog;

/**
 * The 48-byte TLog record (little endian; FORMATS.md):
 * {@code int type, int crc32c, long a, long b, long c, long d, long e}. The crc covers bytes
 * 0..3 and 8..47. Type 0 never appears in a valid record, so a preallocated zero tail reads as
 * "end of log".
 */
public final class TLogRecord {
    public static final int SIZE = 48;
    public static final int FORMAT_VERSION = 1;
    /** "SCOTLOG1" as a little-endian long. */
    public static final long MAGIC = 0x31474f4c544f4353L;

    public static final int HEADER = 1;
    public static final int CLUSTER = 2;
    public static final int SCO_SEALED = 3;
    public static final int SYNC = 4;
    public static final int SNAPSHOT = 5;
    public static final int CHECKSUM = 6;
    /**
     * A CLUSTER record whose bytes a clone copied from its parent chain (hydration): it changes what the
     * clone's history holds, not what the clone reads. Same fields as {@link #CLUSTER}.
     */
    public static final int HYDRATED = 7;

    /** True for the records that set an LBA: {@link #CLUSTER} and {@link #HYDRATED}. */
    public static boolean setsCluster(int type) {
        return type == CLUSTER || type == HYDRATED;
    }

    private TLogRecord() {
    }
}
