package io.scoria.accelerator;

/** Root of the errors the volume layer reports to its users (NBD, REST, CLI). */
public class VolumeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VolumeException(String message) {
        super(message);
    }

    public VolumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
