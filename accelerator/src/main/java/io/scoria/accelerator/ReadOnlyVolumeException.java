package io.scoria.accelerator;

/** A write to a template or read-only export (NBD: EPERM; REST: 409). */
public class ReadOnlyVolumeException extends VolumeConflictException {
    private static final long serialVersionUID = 1L;

    public ReadOnlyVolumeException(String message) {
        super(message);
    }
}
