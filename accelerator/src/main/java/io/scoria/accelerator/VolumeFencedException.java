package io.scoria.accelerator;

/**
 * This node may not change the volume now: its ownership lease is suspended (the coordination
 * service is out of reach, so another node may be granted the volume soon) or gone. Writes are
 * refused (or their acknowledgement failed) rather than acknowledged by a node that may no longer
 * own the volume.
 */
public class VolumeFencedException extends VolumeException {
    private static final long serialVersionUID = 1L;

    public VolumeFencedException(String message) {
        super(message);
    }

    public VolumeFencedException(String message, Throwable cause) {
        super(message, cause);
    }
}
