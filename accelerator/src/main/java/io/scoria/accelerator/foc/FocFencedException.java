package io.scoria.accelerator.foc;

/**
 * The FOC server knows a newer owner of the volume: a register or add with an owner epoch
 * below the stored one was refused. The volume must stop writing: another node took it over.
 */
public class FocFencedException extends FocException {
    private static final long serialVersionUID = 1L;
    private final long currentEpoch;

    public FocFencedException(String volumeId, long staleEpoch, long currentEpoch) {
        super("FOC volume '" + volumeId + "': owner epoch " + staleEpoch + " is fenced, the current owner epoch is "
                + currentEpoch);
        this.currentEpoch = currentEpoch;
    }

    /** The epoch the server holds for the volume. */
    public long currentEpoch() {
        return currentEpoch;
    }
}
