package io.scoria.accelerator.foc;

/** Root of the errors of the fail-over cache (client, server and protocol). */
public class FocException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FocException(String message) {
        super(message);
    }

    public FocException(String message, Throwable cause) {
        super(message, cause);
    }
}
