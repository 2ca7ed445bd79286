package io.scoria.accelerator.foc;

/**
 * Rules for owner epochs: 64-bit counters, one per volume, kept by the FOC server. Every change of
 * owner takes a larger epoch, which fences every smaller one. A new owner normally registers with
 * {@link #CLAIM} and the server assigns the stored epoch + 1 ({@link #next}); an explicit epoch is
 * accepted only if it is plausible ({@link #checkPlausible}): at most {@link #MAX}, and at most
 * {@link #MAX_STEP} above the stored one, so that one bad or hostile value cannot make a volume's
 * epochs run out or lock out its later owners. A refusal is an error for that registration only;
 * nothing is remembered in the process. (Epochs of servers before protocol 2 were wall-clock
 * milliseconds, about 1.7e12; counting simply goes on from them.) Stateless.
 */
public final class OwnerEpochs {
    /** REGISTER with this epoch claims the next one. */
    public static final long CLAIM = 0;
    /** Largest epoch: 2^62, about 4.6e18 changes of owner. */
    public static final long MAX = 1L << 62;
    /** Largest step an explicit epoch may take over the stored one. */
    public static final long MAX_STEP = 1L << 32;

    private OwnerEpochs() {
    }

    /**
     * The epoch after {@code stored} (0: none yet).
     *
     * @throws FocException if {@code stored} is negative or already {@link #MAX}
     */
    public static long next(long stored) {
        if (stored < 0 || stored >= MAX) {
            throw new FocException("owner epoch " + stored + " is implausible: epochs count from 1 up to " + MAX);
        }
        return stored + 1;
    }

    /**
     * Returns {@code requested} if it is a plausible explicit epoch over {@code stored} (0: none yet).
     *
     * @throws FocException naming both values if it is negative, above {@link #MAX} or more than
     *         {@link #MAX_STEP} above {@code stored}
     */
    public static long checkPlausible(long requested, long stored) {
        if (requested < 0 || requested > MAX) {
            throw new FocException("owner epoch " + requested + " is implausible: epochs count from 1 up to " + MAX);
        }
        if (requested > stored && requested - stored > MAX_STEP) {
            throw new FocException("owner epoch " + requested + " is implausible: more than " + MAX_STEP
                    + " above the stored epoch " + stored + " (epochs count changes of owner; register with "
                    + CLAIM + " to take the next one)");
        }
        return requested;
    }
}
