package io.scoria.accelerator.foc;

/**
 * A sealed FOC entry ({@link FocEntryFormat#SEALED}) fails its authentication tag: its bytes, or the
 * LBA and place it is stored under, were altered after the owner sealed it (on the FOC server's disk
 * or on the wire). The replay that met it stops before any entry reached the volume. The message
 * names the volume and the entry, never a key.
 */
public class FocEntryTamperedException extends FocCorruptDataException {
    private static final long serialVersionUID = 1L;
    private final String volume;
    private final long entryIndex;

    public FocEntryTamperedException(String volume, long entryIndex, String message) {
        super(message);
        this.volume = volume;
        this.entryIndex = entryIndex;
    }

    /** The volume whose entry it is. */
    public String volume() {
        return volume;
    }

    /** The entry's place in the replay, from 0. */
    public long entryIndex() {
        return entryIndex;
    }
}
