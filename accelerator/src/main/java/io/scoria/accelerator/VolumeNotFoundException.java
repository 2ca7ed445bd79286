package io.scoria.accelerator;

/** No volume, snapshot or clone parent of that name exists (REST: 404). */
public class VolumeNotFoundException extends VolumeException {
    private static final long serialVersionUID = 1L;

    public VolumeNotFoundException(String message) {
        super(message);
    }
}
