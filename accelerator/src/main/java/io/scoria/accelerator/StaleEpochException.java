package io.scoria.accelerator;

/**
 * A change under an owner epoch that is no longer the volume's: another node was granted the
 * volume under {@link #currentEpoch()}; nothing was changed.
 */
public final class StaleEpochException extends VolumeFencedException {
    private static final long serialVersionUID = 1L;

    private final String volume;
    private final long epoch;
    private final long currentEpoch;

    public StaleEpochException(String volume, long epoch, long currentEpoch) {
        super("volume '" + volume + "': owner epoch " + epoch + " is stale, the volume is at epoch " + currentEpoch
                + " (another node owns it); refused");
        this.volume = volume;
        this.epoch = epoch;
        this.currentEpoch = currentEpoch;
    }

    public String volume() {
        return volume;
    }

    public long epoch() {
        return epoch;
    }

    public long currentEpoch() {
        return currentEpoch;
    }
}
