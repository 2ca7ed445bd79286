package io.scoria.sco;

/**
 * Where a cluster's bytes live, packed into one {@code long} so that the LBA map and the TLog
 * never allocate per cluster.
 *
 * <pre>
 * bits 63..32  SCO number (1 .. 2^32-1, unsigned)
 * bits 31..24  SCO version (0..255; the scrubber writes higher versions)
 * bits 23..16  clone depth: 0 = the volume's own namespace, 1 = its parent, 2 = grandparent ...
 * bits 15..0   offset in clusters inside the SCO (0..65535)
 * </pre>
 * The value {@link #ZERO} (0) means "zero cluster": no data stored, reads return zeros. Stateless
 * and thread-safe.
 */
public final class ClusterLocation {
    /** An all-zero cluster, a trimmed cluster or a never written one: no data is stored. */
    public static final long ZERO = 0L;
    public static final long MAX_SCO_NUMBER = 0xFFFF_FFFFL;
    public static final int MAX_OFFSET = 0xFFFF;
    public static final int MAX_DEPTH = 0xFF;

    private ClusterLocation() {
    }

    public static long of(long scoNumber, int version, int depth, int offset) {
        if (scoNumber < 1 || scoNumber > MAX_SCO_NUMBER) {
            throw new IllegalArgumentException("scoNumber must be 1.." + MAX_SCO_NUMBER + ": " + scoNumber);
        }
        if (version < 0 || version > 255) {
            throw new IllegalArgumentException("version must be 0..255: " + version);
        }
        if (depth < 0 || depth > MAX_DEPTH) {
            throw new IllegalArgumentException("depth must be 0.." + MAX_DEPTH + ": " + depth);
        }
        if (offset < 0 || offset > MAX_OFFSET) {
            throw new IllegalArgumentException("offset must be 0.." + MAX_OFFSET + ": " + offset);
        }
        return (scoNumber << 32) | ((long) version << 24) | ((long) depth << 16) | offset;
    }

    public static long scoNumber(long location) {
        return location >>> 32;
    }

    public static int version(long location) {
        return (int) (location >>> 24) & 0xFF;
    }

    public static int depth(long location) {
        return (int) (location >>> 16) & 0xFF;
    }

    public static int offset(long location) {
        return (int) location & 0xFFFF;
    }

    /** The same location seen from a clone {@code levels} further down the chain. */
    public static long deeper(long location, int levels) {
        if (location == ZERO) {
            return ZERO;
        }
        int depth = depth(location) + levels;
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("clone chain deeper than " + MAX_DEPTH);
        }
        return (location & ~(0xFFL << 16)) | ((long) depth << 16);
    }

    /** The SCO identity (number and version) with depth and offset cleared. */
    public static long scoId(long location) {
        return location & 0xFFFF_FFFF_FF00_0000L;
    }

    public static String toString(long location) {
        if (location == ZERO) {
            return "ZERO";
        }
        return "sco " + scoNumber(location) + "v" + version(location) + "@" + offset(location) + " depth " + depth(location);
    }
}
