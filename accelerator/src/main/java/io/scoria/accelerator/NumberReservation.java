package io.scoria.accelerator;

/**
 * SCO and TLog numbers one owner epoch of a volume may give to new objects: SCO numbers
 * {@code [firstSco, scoLimit)} and TLog numbers {@code [firstTlog, tlogLimit)}, reserved by
 * {@link OwnershipGuard#reserveNumbers}. No other epoch was or will be given a number in these ranges,
 * so an upload of a superseded owner still in flight when it lost its lease lands on a key the new
 * owner never writes (DESIGN.md, "Ownership and fencing"). Immutable.
 */
public record NumberReservation(long epoch, long firstSco, long scoLimit, long firstTlog, long tlogLimit) {
    public NumberReservation {
        if (firstSco > scoLimit || firstTlog > tlogLimit) {
            throw new IllegalArgumentException("empty reservation: SCOs [" + firstSco + ", " + scoLimit + "), TLogs ["
                    + firstTlog + ", " + tlogLimit + ")");
        }
    }

    /** True when SCO number {@code n} lies in this reservation. */
    public boolean holdsSco(long n) {
        return n >= firstSco && n < scoLimit;
    }

    /** True when TLog number {@code n} lies in this reservation. */
    public boolean holdsTlog(long n) {
        return n >= firstTlog && n < tlogLimit;
    }
}
