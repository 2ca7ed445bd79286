package io.scoria.accelerator;

/**
 * The request conflicts with the volume's state: the name exists, a write to a template, a
 * delete while clones depend on it (REST: 409).
 */
public class VolumeConflictException extends VolumeException {
    private static final long serialVersionUID = 1L;

    public VolumeConflictException(String message) {
        super(message);
    }
}
