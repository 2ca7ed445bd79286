package io.scoria.accelerator.foc;

import java.time.Instant;

/**
 * Where an owner's SCO tags start (see {@link FailoverCache}): tags must never go back for a
 * volume, across opens and owners, and must be known before the first write, even when the FOC
 * server is unreachable at open (so they cannot come from the server's epoch).
 *
 * <p>{@code firstOfOpen(t) = 2^62 + ((t - 2024-01-01 in ms) << 20)}: opens at least a millisecond
 * apart get disjoint ranges of 2^20 tags per millisecond between them (an owner moves to a new
 * tag per SCO, so it would need over a million SCOs per millisecond of its life to reach the next
 * open's range); it lasts until the year 2163. Every tag is above 2^62, and so above every tag of
 * the previous scheme (epoch milliseconds since 2024 shifted by 24, which stopped before 2^62 in
 * 2032), so entries left on a FOC server by an older version replay first and are removed first.
 * Clocks of successive owners are assumed to agree to well within the time between two opens.
 * Stateless.
 */
public final class ScoTags {
    /** 2024-01-01T00:00:00Z in ms. */
    public static final long BASE_MILLIS = 1_704_067_200_000L;
    /** Lowest tag of this scheme. */
    public static final long FLOOR = 1L << 62;
    private static final int SHIFT = 20;
    private static final long MAX_OFFSET_MILLIS = (1L << (62 - SHIFT)) - 1;

    private ScoTags() {
    }

    /**
     * The first tag of an open at {@code nowMillis} (ms since 1970).
     *
     * @throws FocException if the clock is before 2024 or after the scheme's end (2163)
     */
    public static long firstOfOpen(long nowMillis) {
        long offset = nowMillis - BASE_MILLIS;
        if (offset < 0 || offset > MAX_OFFSET_MILLIS) {
            throw new FocException("SCO tags: the clock says " + Instant.ofEpochMilli(nowMillis)
                    + ", outside 2024-01-01.." + Instant.ofEpochMilli(BASE_MILLIS + MAX_OFFSET_MILLIS));
        }
        return FLOOR + (offset << SHIFT);
    }
}
