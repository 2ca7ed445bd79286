package io.scoria.sco;

/**
 * Numbers of the TLogs a scrub writes. The router numbers its TLogs 1, 2, 3 ... (below
 * 2^40); a scrub cannot take numbers from the router's sequence, so it derives them from the
 * first TLog of the segment it replaces:
 * {@code generation << 56 | base << 16 | index}, where {@code generation} is one more than
 * the generation of that first TLog (0 for router TLogs), {@code base} that TLog's base (its
 * own number for router TLogs), and {@code index} counts the TLogs of the segment's output.
 * Every input TLog is consumed by the scrub that replaces it, so a number is produced once;
 * re-running a crashed scrub produces the same numbers. Stateless.
 */
public final class ScrubbedTlogs {
    private static final long BASE_MASK = (1L << 40) - 1;

    private ScrubbedTlogs() {
    }

    public static int generation(long tlogNumber) {
        return (int) (tlogNumber >>> 56);
    }

    /** True for TLogs written by a scrub (they are on the backend before any manifest names them). */
    public static boolean isScrubOutput(long tlogNumber) {
        return generation(tlogNumber) > 0;
    }

    public static long base(long tlogNumber) {
        return isScrubOutput(tlogNumber) ? (tlogNumber >>> 16) & BASE_MASK : tlogNumber;
    }

    /** The number of output TLog {@code index} of a segment whose first TLog is {@code firstInput}. */
    public static long outputNumber(long firstInput, int index) {
        int generation = generation(firstInput) + 1;
        if (generation > 127) {
            throw new IllegalArgumentException("TLog " + firstInput + " was scrubbed too often");
        }
        long base = base(firstInput);
        if (base > BASE_MASK) {
            throw new IllegalArgumentException("TLog number " + firstInput + " is beyond 2^40");
        }
        if (index < 0 || index > 0xFFFF) {
            throw new IllegalArgumentException("index must be 0..65535: " + index);
        }
        return ((long) generation << 56) | (base << 16) | index;
    }
}
