package io.scoria.distributor;

/**
 * How objects are erasure coded: X data + (Y-X) parity fragments per stripe of X mega-blocks.
 *
 * @param dataFragments  X, 1 to 31
 * @param totalFragments Y, X+1 to 32
 * @param megaBlockSize  bytes of one data fragment of a full stripe; a multiple of 4 KiB from
 *                       4 KiB to 64 MiB (default 1 MiB)
 * @param minFragments   fragments that must be stored before a put is acknowledged (ALBA's c);
 *                       X to Y, default Y; lower it to allow degraded writes
 */
public record Policy(int dataFragments, int totalFragments, int megaBlockSize, int minFragments) {
    public static final int DEFAULT_MEGA_BLOCK_SIZE = 1 << 20;
    public static final int MAX_FRAGMENTS = 32;

    public Policy {
        if (dataFragments < 1 || dataFragments >= MAX_FRAGMENTS) {
            throw new IllegalArgumentException("policy dataFragments must be 1 to " + (MAX_FRAGMENTS - 1) + ": " + dataFragments);
        }
        if (totalFragments <= dataFragments || totalFragments > MAX_FRAGMENTS) {
            throw new IllegalArgumentException("policy totalFragments must be " + (dataFragments + 1) + " to " + MAX_FRAGMENTS
                    + ": " + totalFragments);
        }
        if (megaBlockSize < 4096 || megaBlockSize > (64 << 20) || megaBlockSize % 4096 != 0) {
            throw new IllegalArgumentException("policy megaBlockSize must be a multiple of 4096 from 4KiB to 64MiB: "
                    + megaBlockSize);
        }
        if (minFragments < dataFragments || minFragments > totalFragments) {
            throw new IllegalArgumentException("policy minFragments must be " + dataFragments + " to " + totalFragments
                    + ": " + minFragments);
        }
    }

    /** X data of Y total fragments, 1 MiB mega-blocks, writes need all Y fragments. */
    public static Policy of(int dataFragments, int totalFragments) {
        return new Policy(dataFragments, totalFragments, DEFAULT_MEGA_BLOCK_SIZE, totalFragments);
    }

    /** Parses {@code "4+2"} (data + parity) with the defaults of {@link #of}. */
    public static Policy parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        String[] parts = text.trim().split("\\+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("policy must look like '4+2' (data+parity): '" + text + "'");
        }
        try {
            int data = Integer.parseInt(parts[0].trim());
            return of(data, data + Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("policy must look like '4+2' (data+parity): '" + text + "'", e);
        }
    }

    public Policy withMinFragments(int min) {
        return new Policy(dataFragments, totalFragments, megaBlockSize, min);
    }

    public Policy withMegaBlockSize(int size) {
        return new Policy(dataFragments, totalFragments, size, minFragments);
    }

    public int parityFragments() {
        return totalFragments - dataFragments;
    }

    /** Y-X+1: copies of each manifest, so it survives as many lost stores as the data. */
    public int manifestReplicas() {
        return totalFragments - dataFragments + 1;
    }

    /** True when both encode the same way (minFragments only matters to writers). */
    public boolean sameCode(Policy other) {
        return dataFragments == other.dataFragments && totalFragments == other.totalFragments
                && megaBlockSize == other.megaBlockSize;
    }

    @Override
    public String toString() {
        return dataFragments + "+" + parityFragments() + " (" + megaBlockSize + "B blocks, min " + minFragments + ")";
    }
}
